//! Signing in with an external OpenID Connect provider, against a real one on loopback
//! (`oidc_provider`: the npm package oidc-provider): a first sign-in makes an account; an
//! existing account is linked only once its owner typed its password, and never on an
//! email the provider did not verify; later sign-ins go straight in (two-step login still
//! asked); linking and unlinking from the profile, and the last way in kept. And what is
//! refused with a page that says so: a cancelled sign-in, a wrong or missing `state`, a
//! code used twice, a wrong nonce, an expired ID token, a flow older than ten minutes, a
//! provider that is down. Keys the provider rotates are fetched again.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::{
    on_both_backends, with_a_provider_on_both_backends, with_its_own_provider_on_both_backends,
};

const ADA: &str = "ada@example.com";

/// The linked providers of the account with this email: (provider, subject).
async fn links_of(app: &TestApp, email: &'static str) -> Vec<(String, String)> {
    use gatehouse::db::schema::{external_identities as e, users as u};
    app.query(move |conn| {
        e::table
            .inner_join(u::table)
            .filter(u::email.eq(email))
            .select((e::provider, e::subject))
            .load(conn)
    })
    .await
}

/// (password hash, verified) of the account with this email.
async fn account(app: &TestApp, email: &'static str) -> (String, bool) {
    use gatehouse::db::schema::users as u;
    let (hash, verified): (String, Option<i64>) = app
        .query(move |conn| {
            u::table
                .filter(u::email.eq(email))
                .select((u::password_hash, u::email_verified_at))
                .first(conn)
        })
        .await;
    (hash, verified.is_some())
}

/// The text of a page's answer.
async fn page_of(response: reqwest::Response) -> (StatusCode, String) {
    (response.status(), response.text().await.unwrap())
}

with_a_provider_on_both_backends! {
    async fn a_first_sign_in_makes_a_verified_account_and_the_next_goes_straight_in(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let (_, login_page) = app.browser().get_text("/login").await;
        assert!(login_page.contains("Sign in with Test Provider"), "the login page offers it");
        let (_, signup_page) = app.browser().get_text("/register").await;
        assert!(signup_page.contains("Sign up with Test Provider"), "so does sign-up");

        let browser = app.browser();
        let answer = browser.sign_in_with_provider(&provider, "ada").await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&answer), "/profile");
        let (_, profile) = browser.get_text("/profile").await;
        assert!(profile.contains(ADA) && profile.contains("Ada"), "logged in as the new account");
        let (hash, verified) = account(&app, ADA).await;
        assert!(hash.is_empty(), "no password was made up");
        assert!(verified, "the provider verified the email");
        assert_eq!(links_of(&app, ADA).await, [("test".to_string(), "ada".to_string())]);

        let later = app.browser();
        let answer = later.sign_in_with_provider(&provider, "ada").await;
        assert_eq!(location(&answer), "/profile", "straight in");
        assert_eq!(app.count_users().await, 1, "no second account");
        let actions: Vec<String> = app.audit_rows().await.into_iter().map(|r| r.0).collect();
        for action in ["register", "provider_link", "login_provider"] {
            assert!(actions.contains(&action.to_string()), "{action} audited: {actions:?}");
        }
    }

    async fn an_existing_account_is_linked_only_after_its_owner_types_its_password(app: TestApp, provider: OidcProvider) {
        app.signed_up_browser("Ada", ADA).await;
        provider.add_person("ada-at-provider", ADA, true).await;
        let browser = app.browser();
        let answer = browser.sign_in_with_provider(&provider, "ada-at-provider").await;
        assert_eq!(location(&answer), "/oidc/link", "asked to prove the account is theirs");
        assert!(links_of(&app, ADA).await.is_empty(), "nothing linked yet");
        let (status, page) = browser.get_text("/oidc/link").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(ADA) && page.contains("Link Test Provider to your account"));

        let wrong = browser.submit("/oidc/link", &[("password", "not the password")]).await;
        let (status, page) = page_of(wrong).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("That password is not correct."), "{page}");
        assert!(links_of(&app, ADA).await.is_empty());

        let right = browser.submit("/oidc/link", &[("password", PASSWORD)]).await;
        assert_eq!(location(&right), "/profile");
        let (_, profile) = browser.get_text("/profile").await;
        assert!(profile.contains(ADA), "logged in");
        assert_eq!(links_of(&app, ADA).await.len(), 1);
        app.wait_for_mail(ADA, "Test Provider was linked").await;

        let later = app.browser();
        let answer = later.sign_in_with_provider(&provider, "ada-at-provider").await;
        assert_eq!(location(&answer), "/profile", "straight in from now on");
    }

    async fn an_email_the_provider_did_not_verify_is_never_linked_nor_made_an_account(app: TestApp, provider: OidcProvider) {
        app.signed_up_browser("Ada", ADA).await;
        provider.add_person("mallory", ADA, false).await;
        provider.add_person("bob", "bob@example.com", false).await;
        for sub in ["mallory", "bob"] {
            let answer = app.browser().sign_in_with_provider(&provider, sub).await;
            let (status, page) = page_of(answer).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{sub}");
            assert!(page.contains("has not verified this email address"), "{page}");
            assert!(page.contains("href=\"/login\""), "with a way back");
        }
        assert!(links_of(&app, ADA).await.is_empty());
        assert_eq!(app.count_users().await, 1, "no account for bob");
    }

    async fn later_sign_ins_still_ask_for_the_second_step(app: TestApp, provider: OidcProvider) {
        let ada = app.signed_up_browser("Ada", ADA).await;
        ada.turn_on_two_factor(&app).await;
        provider.add_person("ada", ADA, true).await;
        let link = ada.submit("/profile/providers/test/link", &[]).await;
        let callback = provider.answer(&ada, &location(&link), Some("ada")).await;
        assert_eq!(location(&ada.get(&callback).await), "/profile/providers");
        assert_eq!(links_of(&app, ADA).await.len(), 1, "linked from the profile");

        let browser = app.browser();
        let answer = browser.sign_in_with_provider(&provider, "ada").await;
        assert_eq!(location(&answer), "/login/two-factor", "the code is still asked");
        assert_eq!(browser.get("/profile").await.status(), StatusCode::SEE_OTHER, "not logged in yet");
    }

    async fn a_person_who_cancels_at_the_provider_is_told_so_with_a_way_back(app: TestApp, provider: OidcProvider) {
        let browser = app.browser();
        let authorization = browser.start_provider_sign_in().await;
        let callback = provider.answer(&browser, &authorization, None).await;
        let (status, page) = page_of(browser.get(&callback).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("You cancelled signing in with Test Provider."), "{page}");
        assert!(page.contains("href=\"/login\""));
        assert_eq!(app.count_users().await, 0);
    }

    async fn an_answer_with_a_wrong_state_or_for_another_browser_is_refused(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let browser = app.browser();
        let authorization = browser.start_provider_sign_in().await;
        let callback = provider.answer(&browser, &authorization, Some("ada")).await;

        let other_browser = app.browser();
        let (status, page) = page_of(other_browser.get(&callback).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("did not start in this browser"), "{page}");

        let forged = regex::Regex::new("state=[^&]+").unwrap().replace(&callback, "state=forged");
        let (status, page) = page_of(browser.get(&forged).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("does not belong to the sign-in you started"), "{page}");
        assert_eq!(app.count_users().await, 0, "nobody signed in");
    }

    async fn a_code_is_used_once(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let browser = app.browser();
        let authorization = browser.start_provider_sign_in().await;
        let callback = provider.answer(&browser, &authorization, Some("ada")).await;
        assert_eq!(location(&browser.get(&callback).await), "/profile");
        browser.logout().await;

        let (status, page) = page_of(browser.get(&callback).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "the flow was taken: {page}");

        // The old code with the state of a new sign-in: the provider refuses it.
        let fresh = browser.start_provider_sign_in().await;
        let state = reqwest::Url::parse(&fresh).unwrap().query_pairs()
            .find(|(k, _)| k == "state").unwrap().1.to_string();
        let replay = regex::Regex::new("state=[^&]+").unwrap()
            .replace(&callback, format!("state={state}").as_str()).to_string();
        let (status, page) = page_of(browser.get(&replay).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("did not accept this sign-in"), "{page}");
        assert_eq!(browser.get("/profile").await.status(), StatusCode::SEE_OTHER, "logged out still");
    }

    async fn an_id_token_with_another_nonce_is_refused(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let browser = app.browser();
        let authorization = browser.start_provider_sign_in().await;
        let tampered = regex::Regex::new("nonce=[^&]+").unwrap().replace(&authorization, "nonce=not-ours");
        let callback = provider.answer(&browser, &tampered, Some("ada")).await;
        let (status, page) = page_of(browser.get(&callback).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("could not be trusted"), "{page}");
        assert_eq!(app.count_users().await, 0);
    }

    async fn a_sign_in_that_took_more_than_ten_minutes_starts_again(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let browser = app.browser();
        let authorization = browser.start_provider_sign_in().await;
        let callback = provider.answer(&browser, &authorization, Some("ada")).await;
        app.clock.advance(11 * 60);
        let (status, page) = page_of(browser.get(&callback).await).await;
        assert_eq!(status, StatusCode::GONE);
        assert!(page.contains("took more than ten minutes"), "{page}");
    }

    async fn keys_the_provider_rotates_are_fetched_again(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let first = app.browser().sign_in_with_provider(&provider, "ada").await;
        assert_eq!(location(&first), "/profile");
        provider.rotate_keys().await;
        let after_rotation = app.browser().sign_in_with_provider(&provider, "ada").await;
        assert_eq!(location(&after_rotation), "/profile", "the new key was fetched");
    }

    async fn a_provider_that_is_down_is_a_page_that_says_so(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let browser = app.browser();
        let authorization = browser.start_provider_sign_in().await;
        let callback = provider.answer(&browser, &authorization, Some("ada")).await;
        drop(provider);
        let (status, page) = page_of(browser.get(&callback).await).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert!(page.contains("Test Provider could not be reached"), "{page}");
        assert!(page.contains("href=\"/login\""));
    }

    async fn a_disabled_account_does_not_sign_in_with_its_provider(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        app.browser().sign_in_with_provider(&provider, "ada").await;
        app.set_active(ADA, false).await;
        let (status, page) = page_of(app.browser().sign_in_with_provider(&provider, "ada").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("This account is disabled"), "{page}");
    }

    async fn the_last_way_in_is_not_unlinked_but_another_provider_link_is(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let browser = app.browser();
        browser.sign_in_with_provider(&provider, "ada").await;
        let (_, page) = browser.get_text("/profile/providers").await;
        assert!(page.contains("Test Provider") && page.contains(ADA), "listed with its email");

        // Sign-ins count as recent authentication for ten minutes; after that, unlinking
        // asks again — with the provider, as this account has no password.
        app.clock.advance(11 * 60);
        let unlink = browser.submit("/profile/providers/test/unlink", &[]).await;
        assert!(location(&unlink).starts_with("/reauth"), "re-authentication first");
        let (_, reauth) = browser.get_text(&location(&unlink)).await;
        assert!(reauth.contains("Confirm with Test Provider"), "{reauth}");
        let confirm = browser.submit("/profile/providers/test/confirm", &[("next", "/profile/providers")]).await;
        let callback = provider.answer(&browser, &location(&confirm), Some("ada")).await;
        assert_eq!(location(&browser.get(&callback).await), "/profile/providers");

        let unlink = browser.submit("/profile/providers/test/unlink", &[]).await;
        let (status, page) = page_of(unlink).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("This is the last way to log in to this account"), "{page}");
        assert_eq!(links_of(&app, ADA).await.len(), 1, "still linked");

        // An account with a password unlinks it.
        let bob = app.signed_up_browser("Bob", "bob@example.com").await;
        provider.add_person("bob", "bob@example.com", true).await;
        let link = bob.submit("/profile/providers/test/link", &[]).await;
        let callback = provider.answer(&bob, &location(&link), Some("bob")).await;
        assert_eq!(location(&bob.get(&callback).await), "/profile/providers");
        assert_eq!(links_of(&app, "bob@example.com").await.len(), 1);
        let unlink = bob.submit("/profile/providers/test/unlink", &[]).await;
        assert_eq!(location(&unlink), "/profile/providers");
        assert!(links_of(&app, "bob@example.com").await.is_empty());
        app.wait_for_mail("bob@example.com", "Test Provider was unlinked").await;
        let actions: Vec<String> = app.audit_rows().await.into_iter().map(|r| r.0).collect();
        assert!(actions.contains(&"provider_unlink".to_string()));
    }

    async fn an_account_without_a_password_confirms_with_its_code_and_its_provider(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        let browser = app.browser();
        browser.sign_in_with_provider(&provider, "ada").await;
        let two_factor = browser.turn_on_two_factor(&app).await;
        app.clock.advance(11 * 60);

        let (_, reauth) = browser.get_text("/reauth?next=%2Fprofile%2Fproviders").await;
        assert!(reauth.contains("Confirm with Test Provider") && reauth.contains("name=\"code\""), "{reauth}");
        assert!(!reauth.contains("name=\"password\""), "no password to ask for");
        let wrong = browser.submit("/profile/providers/test/confirm", &[("next", "/profile/providers"), ("code", "000000")]).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let confirm = browser.submit("/profile/providers/test/confirm", &[("next", "/profile/providers"), ("code", &two_factor.code(&app))]).await;
        let authorization = location(&confirm);
        assert!(authorization.contains("prompt=login"), "the provider is asked to log her in again: {authorization}");
        let callback = provider.answer(&browser, &authorization, Some("ada")).await;
        assert_eq!(location(&browser.get(&callback).await), "/profile/providers");

        // Confirmed: unlinking now gets its own answer (the last way in), not the re-authentication.
        let unlink = browser.submit("/profile/providers/test/unlink", &[]).await;
        assert_eq!(unlink.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn a_provider_account_linked_to_someone_else_is_not_linked_again(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        app.browser().sign_in_with_provider(&provider, "ada").await;
        let bob = app.signed_up_browser("Bob", "bob@example.com").await;
        let link = bob.submit("/profile/providers/test/link", &[]).await;
        let callback = provider.answer(&bob, &location(&link), Some("ada")).await;
        let (status, page) = page_of(bob.get(&callback).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("already linked to another account"), "{page}");
        assert!(links_of(&app, "bob@example.com").await.is_empty());
    }

    async fn admins_see_each_accounts_linked_providers(app: TestApp, provider: OidcProvider) {
        provider.add_person("ada", ADA, true).await;
        app.browser().sign_in_with_provider(&provider, "ada").await;
        let admin = app.admin_browser().await;
        let id = app.user_id(ADA).await;
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("Sign-in providers"), "{page}");
        assert!(page.contains(&format!("test ({ADA})")), "{page}");
    }
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_at_start_stops_the_start_with_its_variable_named() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let settings = gatehouse::config::OidcProviderSettings {
        name: gatehouse::domain::ProviderName::parse("company").unwrap(),
        display_name: "Company".into(),
        issuer: issuer.clone(),
        client_id: "id".into(),
        client_secret: gatehouse::domain::SecretString::new("secret"),
    };
    let error = gatehouse::oidc::Providers::discover(&[settings], "http://localhost:1", 2)
        .await
        .err()
        .expect("no provider there")
        .to_string();
    assert!(
        error.starts_with("GATEHOUSE_OIDC_COMPANY_ISSUER:"),
        "{error}"
    );
    assert!(
        error.contains(&issuer) && error.contains("after 2 attempts"),
        "{error}"
    );
}

/// An ID token that has expired by the site's clock is refused (the provider's tokens live
/// one minute here; the site's clock is two minutes ahead when the code comes back).
async fn an_expired_id_token_is_refused(backend: Backend) {
    let (app, provider) = crate::oidc_provider::site_with_provider(backend, Some(60)).await;
    provider.add_person("ada", ADA, true).await;
    let browser = app.browser();
    let authorization = browser.start_provider_sign_in().await;
    let callback = provider.answer(&browser, &authorization, Some("ada")).await;
    app.clock.advance(120);
    let (status, page) = page_of(browser.get(&callback).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("could not be trusted") && page.contains("expired"),
        "{page}"
    );
    assert_eq!(app.count_users().await, 0);
}

on_both_backends! {
    async fn an_issuer_that_is_no_openid_provider_stops_the_start_with_its_variable_named(app: TestApp) {
        // Gatehouse itself answers, but has no discovery document: a misconfigured issuer.
        let settings = gatehouse::config::OidcProviderSettings {
            name: gatehouse::domain::ProviderName::parse("company-sso").unwrap(),
            display_name: "Company".into(),
            issuer: app.address.clone(),
            client_id: "id".into(),
            client_secret: gatehouse::domain::SecretString::new("secret"),
        };
        let error = gatehouse::oidc::Providers::discover(&[settings], &app.address, 1)
            .await
            .err()
            .expect("not a provider")
            .to_string();
        assert!(error.starts_with("GATEHOUSE_OIDC_COMPANY_SSO_ISSUER:"), "{error}");
        assert!(error.contains("404"), "says what the issuer answered: {error}");
    }
}

/// On an invite-only site a provider sign-in makes no new account.
async fn an_invite_only_site_makes_no_account_for_a_provider_sign_in(backend: Backend) {
    let invite_only = |settings: &mut gatehouse::config::Settings| {
        settings.policies.sign_up = gatehouse::domain::SignUpPolicy::InviteOnly;
    };
    let (app, provider) =
        crate::oidc_provider::site_with_provider_and(backend, None, invite_only).await;
    provider.add_person("eve", "eve@example.com", true).await;
    let (status, page) = page_of(app.browser().sign_in_with_provider(&provider, "eve").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("open by invitation only"), "{page}");
    assert_eq!(app.count_users().await, 0);
}

with_its_own_provider_on_both_backends!(
    an_expired_id_token_is_refused,
    an_invite_only_site_makes_no_account_for_a_provider_sign_in
);
