// Gatehouse passkeys: the one script of the site. Each form or button with
// `data-passkey-options` (the URL that starts a ceremony) is shown only where the browser
// has WebAuthn. When used, it asks the server for the options, lets the browser talk to the
// authenticator, puts the answer (JSON) into the form's hidden `credential` field and sends
// the form as usual (to the button's `formaction`): the server answers with a page, as for
// every other form. Without JavaScript they stay hidden and a note says why.
"use strict";

(function () {
  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  // What the browser needs for navigator.credentials.create() or .get().
  function publicKeyOptions(options) {
    var publicKey = Object.assign({}, options.publicKey);
    publicKey.challenge = toBytes(publicKey.challenge);
    if (publicKey.user) {
      publicKey.user = Object.assign({}, publicKey.user, { id: toBytes(publicKey.user.id) });
      publicKey.excludeCredentials = decodeIds(publicKey.excludeCredentials);
    } else {
      publicKey.allowCredentials = decodeIds(publicKey.allowCredentials);
    }
    return publicKey;
  }

  // The browser's answer as the server reads it (webauthn-rs's JSON).
  function answerJson(credential) {
    var response = credential.response;
    var fields = { clientDataJSON: toBase64url(response.clientDataJSON) };
    if (response.attestationObject) {
      fields.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) fields.transports = response.getTransports();
    } else {
      fields.authenticatorData = toBase64url(response.authenticatorData);
      fields.signature = toBase64url(response.signature);
      fields.userHandle = toBase64url(response.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: fields,
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    });
  }

  function say(form, message) {
    var status = document.getElementById(form.getAttribute("data-passkey-status"));
    if (status) status.textContent = message;
  }

  function refusal(body) {
    if (body && body.fields) {
      var messages = Object.keys(body.fields).map(function (k) { return body.fields[k]; });
      if (messages.length) return messages.join(" ");
    }
    return (body && body.error) || "Something went wrong. Reload the page and try again.";
  }

  // `trigger` is the form itself (adding a passkey) or a button in a form whose
  // `formaction` receives the answer (signing in).
  function start(form, trigger, event) {
    var credentialField = form.querySelector("input[name=credential]");
    // The browser already answered (the form came back for a better name): send it as is.
    if (trigger === form && credentialField.value) return;
    event.preventDefault();
    if (trigger === form && form.reportValidity && !form.reportValidity()) return;
    var token = form.querySelector("input[name=csrf_token]");
    var creating = trigger.getAttribute("data-passkey") === "add";
    say(trigger, "Follow your browser to use your passkey…");
    fetch(trigger.getAttribute("data-passkey-options"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token ? token.value : "", Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error(refusal(body));
          return body;
        });
      })
      .then(function (options) {
        var publicKey = publicKeyOptions(options);
        return creating
          ? navigator.credentials.create({ publicKey: publicKey })
          : navigator.credentials.get({ publicKey: publicKey });
      })
      .then(function (credential) {
        credentialField.value = answerJson(credential);
        if (trigger !== form) form.action = trigger.getAttribute("formaction");
        say(trigger, "Checking your passkey…");
        HTMLFormElement.prototype.submit.call(form);
      })
      .catch(function (error) {
        if (error && error.name === "NotAllowedError") {
          say(trigger, "The passkey request was cancelled or timed out. Try again.");
        } else if (error && error.name === "InvalidStateError") {
          say(trigger, "This device already holds a passkey for your account.");
        } else {
          say(trigger, (error && error.message) || "Your browser could not use a passkey here.");
        }
      });
  }

  if (!window.PublicKeyCredential || !navigator.credentials) return;
  document.querySelectorAll("[data-passkey-options]").forEach(function (trigger) {
    var form = trigger.tagName === "FORM" ? trigger : trigger.form;
    trigger.hidden = false;
    trigger.addEventListener(trigger === form ? "submit" : "click", function (event) {
      start(form, trigger, event);
    });
  });
  document.querySelectorAll("[data-passkey-fallback]").forEach(function (note) {
    note.hidden = true;
  });
})();
