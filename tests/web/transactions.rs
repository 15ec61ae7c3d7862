//! Every use case writes in one transaction with its audit row: when the audit row cannot
//! be written (a trigger in the test's own database refuses it), nothing of the use case
//! stays behind — no account, no session ended, no link used up or made, no token.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use gatehouse::db::DbConnection;
use gatehouse::db::schema::{api_tokens, audit_events, one_time_tokens, sessions, users};
use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

/// From now on the database refuses audit rows of `action`, as a full disk or a broken
/// audit table would.
async fn refuse_audit_rows(app: &TestApp, action: &'static str) {
    app.query(move |conn| {
        let sql = match conn {
            DbConnection::Sqlite(_) => format!(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
                 WHEN NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END;"
            ),
            DbConnection::Postgres(_) => format!(
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$; \
                 CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW \
                 WHEN (NEW.action = '{action}') EXECUTE FUNCTION refuse_audit();"
            ),
        };
        conn.batch_execute(&sql)
    })
    .await;
}

/// The audit table takes rows again.
async fn accept_audit_rows(app: &TestApp) {
    app.query(|conn| match conn {
        DbConnection::Sqlite(_) => conn.batch_execute("DROP TRIGGER refuse_audit"),
        DbConnection::Postgres(_) => {
            conn.batch_execute("DROP TRIGGER refuse_audit ON audit_events")
        }
    })
    .await;
}

/// An account row: id, email, name, password hash, role, active, verified at, last login.
type AccountRow = (
    i64,
    String,
    String,
    String,
    String,
    bool,
    Option<i64>,
    Option<i64>,
);

/// Everything a use case could write, as text to compare before and after.
async fn everything(app: &TestApp) -> String {
    app.query(|conn| {
        let accounts: Vec<AccountRow> = users::table
            .order(users::id)
            .select((users::id, users::email, users::name, users::password_hash, users::role, users::active, users::email_verified_at, users::last_login_at))
            .load(conn)?;
        let sessions: Vec<(String, Option<i64>)> = sessions::table.order(sessions::id).select((sessions::public_id, sessions::user_id)).load(conn)?;
        let links: Vec<(i64, String, Option<i64>, Option<i64>)> = one_time_tokens::table
            .order(one_time_tokens::id)
            .select((one_time_tokens::id, one_time_tokens::purpose, one_time_tokens::user_id, one_time_tokens::used_at))
            .load(conn)?;
        let tokens: Vec<(i64, String)> = api_tokens::table.order(api_tokens::id).select((api_tokens::user_id, api_tokens::name)).load(conn)?;
        let audit: i64 = audit_events::table.count().get_result(conn)?;
        Ok(format!("accounts {accounts:?}\nsessions {sessions:?}\nlinks {links:?}\ntokens {tokens:?}\naudit rows {audit}"))
    })
    .await
}

/// Runs `request` with audit rows of `action` refused: it must fail (500) and leave the
/// database exactly as it was.
macro_rules! nothing_stays_behind {
    ($app:expr, $action:expr, $request:expr) => {{
        let before = everything(&$app).await;
        refuse_audit_rows(&$app, $action).await;
        let response = $request.await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            everything(&$app).await,
            before,
            "the use case left something behind"
        );
        accept_audit_rows(&$app).await;
    }};
}

async fn admin_and_ada(app: &TestApp) -> (Browser, Browser, String) {
    let admin = app.admin_browser().await;
    let ada = app.signed_up_browser("Ada", "ada@example.com").await;
    let id = app.user_id("ada@example.com").await.to_string();
    (admin, ada, id)
}

on_both_backends! {
    async fn a_sign_up_whose_audit_row_fails_leaves_no_account_and_can_be_done_again(app: TestApp) {
        let visitor = app.browser();
        nothing_stays_behind!(app, "register", visitor.register("Ada", "ada@example.com", PASSWORD));
        assert_eq!(visitor.register("Ada", "ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.count_users().await, 1);
    }

    async fn a_first_admin_whose_audit_row_fails_leaves_the_setup_link_usable(app: TestApp) {
        let token = app.setup_token.clone().unwrap();
        let fields = [("name", "Root"), ("email", "root@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)];
        let visitor = app.browser();
        nothing_stays_behind!(app, "setup_admin", visitor.submit(&format!("/setup/{token}"), &fields));
        assert_eq!(visitor.get(&format!("/setup/{token}")).await.status(), StatusCode::OK, "the link was not burnt");
        assert_eq!(visitor.submit(&format!("/setup/{token}"), &fields).await.status(), StatusCode::SEE_OTHER);
    }

    async fn an_admin_created_account_whose_audit_row_fails_does_not_exist(app: TestApp) {
        let admin = app.admin_browser().await;
        let fields = [("name", "Grace"), ("email", "grace@example.com"), ("password", PASSWORD), ("role", "user"), ("active", "on")];
        nothing_stays_behind!(app, "admin_create_user", admin.submit("/admin/users/new", &fields));
    }

    async fn an_admin_edit_whose_audit_row_fails_changes_nothing_and_ends_no_session(app: TestApp) {
        let (admin, ada, id) = admin_and_ada(&app).await;
        let fields = [("name", "Ada King"), ("email", "ada.king@example.com"), ("role", "admin"), ("active", "on"), ("new_password", "a brand new passphrase")];
        nothing_stays_behind!(app, "admin_update_user", admin.submit(&format!("/admin/users/{id}/edit"), &fields));
        assert_eq!(ada.get("/profile").await.status(), StatusCode::OK);
    }

    async fn an_admin_delete_whose_audit_row_fails_keeps_the_account(app: TestApp) {
        let (admin, ada, id) = admin_and_ada(&app).await;
        nothing_stays_behind!(app, "admin_delete_user", admin.submit(&format!("/admin/users/{id}/delete"), &[]));
        assert_eq!(ada.get("/profile").await.status(), StatusCode::OK);
    }

    async fn a_bulk_disable_whose_audit_row_fails_disables_nobody(app: TestApp) {
        let (admin, ada, ada_id) = admin_and_ada(&app).await;
        app.signed_up_browser("Grace", "grace@example.com").await;
        let grace_id = app.user_id("grace@example.com").await.to_string();
        let fields = [("action", "disable"), ("ids", ada_id.as_str()), ("ids", grace_id.as_str()), ("confirm", "yes")];
        nothing_stays_behind!(app, "admin_bulk_disable", admin.submit("/admin/users/bulk", &fields));
        assert_eq!(ada.get("/profile").await.status(), StatusCode::OK);
    }

    async fn a_password_change_whose_audit_row_fails_keeps_the_old_password_and_other_sessions(app: TestApp) {
        let laptop = app.signed_up_browser("Ada", "ada@example.com").await;
        let phone = app.browser();
        assert_eq!(phone.login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let fields = [("current_password", PASSWORD), ("new_password", "a brand new passphrase"), ("new_password_confirm", "a brand new passphrase")];
        nothing_stays_behind!(app, "password_change", laptop.submit("/password", &fields));
        assert_eq!(phone.get("/profile").await.status(), StatusCode::OK);
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }

    async fn a_token_whose_audit_row_fails_is_not_made(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        nothing_stays_behind!(app, "api_token_create", ada.submit("/profile/tokens", &[("name", "deploy"), ("expires_days", "")]));
        let (status, html) = ada.get_text("/profile/tokens").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("new-token"), "no token is shown");
    }

    async fn an_email_change_whose_audit_row_fails_keeps_the_address_and_its_verification(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let fields = [("name", "Ada"), ("email", "ada.new@example.com"), ("current_password", PASSWORD)];
        nothing_stays_behind!(app, "profile_update", ada.submit("/profile", &fields));
        let (status, html) = ada.get_text("/profile").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(r#"value="ada@example.com""#));
    }
}
