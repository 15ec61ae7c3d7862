//! The stylesheet, compiled into the binary and served under a content-hashed URL with a
//! year-long immutable cache.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use sha2::{Digest, Sha256};

const STYLESHEET: &str = include_str!("../../static/style.css");

static STYLESHEET_NAME: LazyLock<String> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(STYLESHEET.as_bytes()));
    format!("style.{}.css", &digest[..12])
});

/// The URL pages link to.
pub fn stylesheet_url() -> String {
    format!("/static/{}", *STYLESHEET_NAME)
}

#[get("/static/{name}")]
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    if *name != *STYLESHEET_NAME {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(STYLESHEET)
}
