//! Request bodies: every body is read here, whole, within `GATEHOUSE_BODY_TIMEOUT`, before
//! any handler or check waits on it. A body that does not arrive in time is answered 408
//! and its connection closed, so a client cannot hold a connection open by promising bytes
//! it never sends. A body over the size limit is not refused here: what was read is passed
//! on, and the reader that wants it answers 413 in its own voice (a page or JSON, after
//! the API's gate).

use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use futures_util::StreamExt;

use super::FORM_LIMIT_BYTES;
use crate::errors::AppError;
use crate::state::AppState;

pub async fn read_in_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if expects_a_body(&req) {
        let deadline = req
            .app_data::<web::Data<AppState>>()
            .map_or(Duration::from_secs(15), |state| state.settings.body_timeout);
        match tokio::time::timeout(deadline, read_up_to_the_limit(&mut req)).await {
            Ok(body) => req.set_payload(Payload::from(body)),
            Err(_) => {
                let mut response = req.error_response(AppError::RequestTimeout);
                response
                    .response_mut()
                    .head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
                return Ok(response);
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A body is coming unless the request says it has none (or one too large to read).
fn expects_a_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<usize>().ok());
    match length {
        Some(length) => length > 0 && length <= FORM_LIMIT_BYTES,
        None => headers.contains_key(header::TRANSFER_ENCODING),
    }
}

/// The body, or its first `FORM_LIMIT_BYTES + 1` bytes when it is longer (enough for any
/// reader to see that it is too large). A broken stream ends the body where it broke.
async fn read_up_to_the_limit(req: &mut ServiceRequest) -> Bytes {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(Ok(chunk)) = payload.next().await {
        body.extend_from_slice(&chunk);
        if body.len() > FORM_LIMIT_BYTES {
            body.truncate(FORM_LIMIT_BYTES + 1);
            break;
        }
    }
    body.freeze()
}
