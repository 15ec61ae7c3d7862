//! A person's own data: deleting their account (at once, or through an admin where the
//! operator wants deletions approved; never the last active admin), and downloading
//! everything the site keeps about it — with no hash or secret in it.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const ADA: &str = "ada@example.com";

/// An audit row's actor, action, target and detail.
type AuditRow = (Option<String>, String, Option<String>, Option<String>);

/// Every text column of every audit row, one string per row.
async fn audit_text(app: &TestApp) -> Vec<String> {
    use gatehouse::db::schema::audit_events as a;
    let rows: Vec<AuditRow> = app
        .query(|conn| {
            a::table
                .order(a::id.asc())
                .select((a::actor, a::action, a::target, a::detail))
                .load(conn)
        })
        .await;
    rows.into_iter().map(|row| format!("{row:?}")).collect()
}

async fn account_exists(app: &TestApp, email: &'static str) -> bool {
    use gatehouse::db::schema::users;
    let count: i64 = app
        .query(move |conn| {
            users::table
                .filter(users::email.eq(email))
                .count()
                .get_result(conn)
        })
        .await;
    count == 1
}

on_both_backends! {
    async fn a_person_deletes_their_account_and_everything_goes_at_once(app: TestApp) {
        let ada = app.signed_up_browser("Ada", ADA).await;
        let token = ada.create_api_token("backup script", "").await;
        let laptop = app.browser();
        laptop.login(ADA, PASSWORD).await;
        assert_eq!(laptop.get("/profile").await.status(), StatusCode::OK);
        let id = app.user_id(ADA).await;

        let (status, page) = ada.get_text("/profile/delete").await;
        assert_eq!(status, StatusCode::OK);
        for said in ["What goes", "Your sessions", "Your API tokens", "Your passkeys", "Your linked sign-in providers", "What stays"] {
            assert!(page.contains(said), "the page says {said:?}");
        }
        let unconfirmed = ada.submit("/profile/delete", &[]).await;
        assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(account_exists(&app, ADA).await, "nothing happened without the box ticked");

        let deleted = ada.submit("/profile/delete", &[("confirm", "on")]).await;
        assert_eq!(location(&deleted), "/login?deleted=1");
        let (_, login) = ada.get_text("/login?deleted=1").await;
        assert!(login.contains("Your account was deleted."));
        assert!(!account_exists(&app, ADA).await);
        assert_eq!(laptop.get("/profile").await.status(), StatusCode::SEE_OTHER, "the other session died with it");
        let api = ApiClient::new(&app.address, Some(&token));
        assert_eq!(api.get("/api/me").await.status, StatusCode::UNAUTHORIZED, "so did the token");
        app.wait_for_mail(ADA, "was deleted").await;

        let audit = audit_text(&app).await;
        let tombstone = format!("deleted-account-{id}");
        assert!(audit.iter().all(|row| !row.contains(ADA)), "no audit row names her: {audit:#?}");
        assert!(audit.iter().any(|row| row.contains("account_delete") && row.contains(&tombstone)), "{audit:#?}");
        assert!(audit.iter().filter(|row| row.contains(&tombstone)).count() >= 3, "her earlier rows stay, tombstoned");
    }

    async fn the_last_active_admin_cannot_delete_their_own_account(app: TestApp) {
        let root = app.admin_browser().await;
        let refused = root.submit("/profile/delete", &[("confirm", "on")]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains("You are the last active admin"), "{page}");
        assert!(account_exists(&app, "root@example.com").await);

        // With another admin, they can go.
        root.submit("/admin/users/new", &[("name", "Grace"), ("email", "grace@example.com"), ("password", PASSWORD), ("role", "admin"), ("active", "on")]).await;
        let deleted = root.submit("/profile/delete", &[("confirm", "on")]).await;
        assert_eq!(location(&deleted), "/login?deleted=1");
        assert!(!account_exists(&app, "root@example.com").await);
    }

    async fn deleting_asks_for_the_password_typed_within_ten_minutes(app: TestApp) {
        let ada = app.signed_up_browser("Ada", ADA).await;
        app.clock.advance(11 * 60);
        let asked = ada.get("/profile/delete").await;
        assert_eq!(location(&asked), "/reauth?next=%2Fprofile%2Fdelete");
        let posted = ada.submit("/profile/delete", &[("confirm", "on")]).await;
        assert!(location(&posted).starts_with("/reauth"));
        assert!(account_exists(&app, ADA).await);
    }

    async fn where_deletions_are_approved_the_request_waits_for_an_admin(app: TestApp) {
        let root = app.admin_browser().await;
        let site = app.with_settings(|settings| {
            settings.policies.deletion = gatehouse::domain::DeletionPolicy::Approval;
        }).await;
        let ada = site.signed_up_browser("Ada", ADA).await;
        let (_, page) = ada.get_text("/profile/delete").await;
        assert!(page.contains("an admin approves deletions"), "{page}");
        let asked = ada.submit("/profile/delete", &[("confirm", "on")]).await;
        assert_eq!(location(&asked), "/profile/delete");
        let (_, page) = ada.get_text("/profile/delete").await;
        assert!(page.contains("You asked for your account to be deleted"), "{page}");
        assert!(account_exists(&site, ADA).await, "still there");
        site.wait_for_mail(ADA, "deletion request").await;

        let bob = site.signed_up_browser("Bob", "bob@example.com").await;
        bob.submit("/profile/delete", &[("confirm", "on")]).await;
        let withdrawn = bob.submit("/profile/delete/withdraw", &[]).await;
        assert_eq!(location(&withdrawn), "/profile");

        let (_, requests) = root.get_text("/admin/deletion-requests").await;
        assert!(requests.contains(ADA) && !requests.contains("bob@example.com"), "{requests}");
        let id = site.user_id(ADA).await;
        let approved = root.submit(&format!("/admin/users/{id}/approve-deletion"), &[]).await;
        assert_eq!(location(&approved), "/admin/deletion-requests");
        assert!(!account_exists(&site, ADA).await);
        assert!(account_exists(&site, "bob@example.com").await);
        site.wait_for_mail(ADA, "was deleted").await;
        assert!(audit_text(&site).await.iter().all(|row| !row.contains(ADA)));
    }

    async fn a_person_downloads_everything_kept_about_them_and_no_secret(app: TestApp) {
        let ada = app.signed_up_browser("Ada", ADA).await;
        let token = ada.create_api_token("backup script", "").await;
        let response = ada.get("/profile/export").await;
        assert_eq!(response.status(), StatusCode::OK);
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment; filename=\"gatehouse-account-"), "{disposition}");
        let text = response.text().await.unwrap();
        let export: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(export["format"], "gatehouse-account-export");
        assert_eq!(export["version"], 1);
        assert_eq!(export["account"]["email"], ADA);
        assert_eq!(export["account"]["has_password"], true);
        assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
        assert_eq!(export["api_tokens"][0]["name"], "backup script");
        let actions: Vec<&str> = export["audit_events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"register") && actions.contains(&"api_token_create"), "{actions:?}");

        use gatehouse::db::schema::{api_tokens, sessions, users};
        let mut secrets: Vec<String> = app.query(|conn| users::table.select(users::password_hash).load(conn)).await;
        secrets.extend(app.query(|conn| api_tokens::table.select(api_tokens::token_hash).load::<String>(conn)).await);
        secrets.extend(app.query(|conn| sessions::table.select(sessions::key_hash).load::<String>(conn)).await);
        secrets.extend([token.clone(), PASSWORD.to_string()]);
        let api = ApiClient::new(&app.address, Some(&token));
        let from_api = api.get("/api/me/export").await;
        assert_eq!(from_api.status, StatusCode::OK);
        assert_eq!(from_api.json["account"]["email"], ADA);
        for document in [&text, &from_api.text] {
            for secret in &secrets {
                assert!(!document.contains(secret.as_str()), "a secret ({}…) is in the export", &secret[..8]);
            }
            for field in ["password_hash", "token_hash", "key_hash", "secret"] {
                assert!(!document.contains(field), "{field} in the export");
            }
        }
    }
}
