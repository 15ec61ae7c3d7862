//! `GET /healthz`: 200 when the database answers, else 503.

use actix_web::{HttpResponse, get, web};

use crate::state::AppState;

#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    if state.db.is_healthy().await {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "unavailable" }))
    }
}
