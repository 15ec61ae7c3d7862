//! Headers sent with every response, pages, errors, `/api` and static files alike. Each is
//! added only where the response has none of its own (the stylesheet keeps its year-long
//! cache).

use actix_web::middleware::DefaultHeaders;

/// Scripts only from this site's `/static` (the passkey script; never inline), and the
/// script's requests only to this site. Forms post to this site, whose answer may send the
/// browser on to the sign-in providers' authorization endpoints (`form_targets`, origins):
/// browsers hold a form's redirects to `form-action` too.
pub fn content_security_policy(form_targets: &[String]) -> String {
    let mut form_action = String::from("'self'");
    for origin in form_targets {
        form_action.push(' ');
        form_action.push_str(origin);
    }
    format!(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
         img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

pub fn middleware(cookies_secure: bool, form_targets: &[String]) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            content_security_policy(form_targets),
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        // Account data is never kept by a browser or a shared cache.
        .add(("Cache-Control", "no-store"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ));
    if cookies_secure {
        headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}
