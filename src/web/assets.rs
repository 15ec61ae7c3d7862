//! The static files — the stylesheet and the one script (passkeys) — compiled into the
//! binary and served under content-hashed URLs with a year-long immutable cache. Pages
//! never carry inline script: the Content-Security-Policy allows scripts from here only.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use sha2::{Digest, Sha256};

/// One file: its hashed name, its content type and its bytes.
struct Asset {
    name: String,
    content_type: &'static str,
    body: &'static str,
}

impl Asset {
    fn new(stem: &str, extension: &str, content_type: &'static str, body: &'static str) -> Self {
        let digest = hex::encode(Sha256::digest(body.as_bytes()));
        Self {
            name: format!("{stem}.{}.{extension}", &digest[..12]),
            content_type,
            body,
        }
    }

    fn url(&self) -> String {
        format!("/static/{}", self.name)
    }
}

static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "style",
        "css",
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    )
});

static PASSKEY_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "passkeys",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/passkeys.js"),
    )
});

/// The URL pages link to for styles.
pub fn stylesheet_url() -> String {
    STYLESHEET.url()
}

/// The URL of the passkey script, for the pages with a passkey button.
pub fn passkey_script_url() -> String {
    PASSKEY_SCRIPT.url()
}

#[get("/static/{name}")]
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    let Some(asset) = [&*STYLESHEET, &*PASSKEY_SCRIPT]
        .into_iter()
        .find(|asset| asset.name == *name)
    else {
        return HttpResponse::NotFound().finish();
    };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(asset.body)
}
