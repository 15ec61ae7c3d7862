//! Passkeys seen from the admin side: the account page says how many an account has, and an
//! admin removes them all for someone whose authenticator was lost or stolen (page and API).
//!
//! The passkeys here are put straight into the database: registering one takes a WebAuthn
//! authenticator, and the owner's side (adding, using, removing one's own) is tested in
//! `tests/web/passkeys.rs`.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";
const ROOT: &str = "root@example.com";
const REMOVED_MAIL: &str = "an administrator removed every passkey from your Gatehouse account";
const NONE_LEFT: &str = "This account has no passkeys; nothing was changed.";
const OWN: &str =
    "Remove your own passkeys on your profile's passkeys page; it asks for your password.";

/// Gives the account `names.len()` passkeys, as if it had registered them.
async fn seed_passkeys(app: &TestApp, user_id: i64, names: &[&'static str]) {
    use diesel::prelude::*;
    use gatehouse::db::schema::passkeys;
    let names = names.to_vec();
    let now = app.clock.now();
    app.query(move |conn| {
        for name in names {
            diesel::insert_into(passkeys::table)
                .values((
                    passkeys::user_id.eq(user_id),
                    passkeys::credential_id.eq(hex::encode(format!("credential {user_id} {name}"))),
                    passkeys::user_handle.eq(format!("6f1c2a4e-0000-4000-8000-{user_id:012}")),
                    passkeys::name.eq(name),
                    passkeys::passkey.eq("{}"),
                    passkeys::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
    .await;
}

/// How many passkeys the account has in the database.
async fn passkeys_of(app: &TestApp, user_id: i64) -> i64 {
    use diesel::prelude::*;
    use gatehouse::db::schema::passkeys;
    app.query(move |conn| {
        passkeys::table
            .filter(passkeys::user_id.eq(user_id))
            .count()
            .get_result(conn)
    })
    .await
}

/// How many audit rows of this action there are.
async fn audited(app: &TestApp, action: &str) -> usize {
    app.audit_rows()
        .await
        .iter()
        .filter(|row| row.0 == action)
        .count()
}

fn mails_about_removed_passkeys(app: &TestApp) -> usize {
    app.mails()
        .iter()
        .filter(|mail| mail.contains("A passkey was removed"))
        .count()
}

/// From now on the database refuses audit rows of admin passkey removals, as a full disk
/// or a broken audit table would (as in `transactions.rs`).
async fn refuse_removal_audit_rows(app: &TestApp) {
    use diesel::connection::SimpleConnection;
    use gatehouse::db::DbConnection;
    app.query(|conn| {
        let sql = match conn {
            DbConnection::Sqlite(_) => {
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
                 WHEN NEW.action = 'admin_passkeys_remove' \
                 BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END;"
            }
            DbConnection::Postgres(_) => {
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$; \
                 CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW \
                 WHEN (NEW.action = 'admin_passkeys_remove') EXECUTE FUNCTION refuse_audit();"
            }
        };
        conn.batch_execute(sql)
    })
    .await;
}

async fn is_logged_in(browser: &Browser) -> bool {
    browser.get("/profile").await.status() == StatusCode::OK
}

on_both_backends! {
    async fn an_admin_removes_every_passkey_of_someone_whose_authenticator_was_stolen(app: TestApp) {
        let admin = app.admin_browser().await;
        let ada = app.signed_up_browser("Ada", ADA).await;
        app.signed_up_browser("Bob", BOB).await;
        let (ada_id, bob_id) = (app.user_id(ADA).await, app.user_id(BOB).await);
        seed_passkeys(&app, ada_id, &["Phone", "Laptop"]).await;
        seed_passkeys(&app, bob_id, &["Security key"]).await;

        // Ada's bag with her phone and laptop was stolen: the admin looks her up.
        let (status, page) = admin.get_text(&format!("/admin/users/{ada_id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<dt>Passkeys</dt>\n  <dd id=\"passkeys\">2\n"), "how many: {page}");
        assert!(page.contains(&format!(r#"action="/admin/users/{ada_id}/passkeys/remove""#)));
        assert!(page.contains(">Remove all passkeys</button>"));

        let without_token = admin.post_raw(&format!("/admin/users/{ada_id}/passkeys/remove"), &[]).await;
        assert_eq!(without_token.status(), StatusCode::FORBIDDEN, "CSRF, like every form");
        assert_eq!(passkeys_of(&app, ada_id).await, 2);

        let removed = admin.submit(&format!("/admin/users/{ada_id}/passkeys/remove"), &[]).await;
        assert_eq!((removed.status(), location(&removed)), (StatusCode::SEE_OTHER, format!("/admin/users/{ada_id}")));
        let (_, after) = admin.get_text(&format!("/admin/users/{ada_id}")).await;
        assert!(after.contains("Removed 2 passkeys from ada@example.com; their sessions ended and they were mailed. They can log in with their password."), "{after}");
        assert!(after.contains("<dt>Passkeys</dt>\n  <dd id=\"passkeys\">None</dd>"), "{after}");
        assert!(!after.contains("/passkeys/remove"), "no button once there are none");

        assert_eq!(passkeys_of(&app, ada_id).await, 0, "hers are gone");
        assert_eq!(passkeys_of(&app, bob_id).await, 1, "Bob's are not touched");
        let row = app.audit_rows().await.into_iter().find(|row| row.0 == "admin_passkeys_remove").expect("an audit row");
        assert_eq!((row.1.as_str(), row.2.as_deref(), row.3.as_deref()), ("success", Some(ADA), Some("passkeys removed: 2; sessions ended: 1")));
        let mail = app.wait_for_mail(ADA, REMOVED_MAIL).await;
        assert!(mail.contains("A removed passkey can no longer sign in."), "{mail}");
        assert!(after.contains("admin_passkeys_remove"), "her recent activity shows it: {after}");

        assert!(!is_logged_in(&ada).await, "her sessions end: one may have been opened with the stolen passkey");
        let browser = app.browser();
        assert_eq!(location(&browser.login(ADA, PASSWORD).await), "/profile", "her password still logs her in");
    }

    async fn an_account_with_one_passkey_is_told_in_the_singular(app: TestApp) {
        let admin = app.admin_browser().await;
        app.signed_up_browser("Ada", ADA).await;
        let id = app.user_id(ADA).await;
        seed_passkeys(&app, id, &["Phone"]).await;
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("<dd id=\"passkeys\">1\n"), "{page}");
        admin.submit(&format!("/admin/users/{id}/passkeys/remove"), &[]).await;
        let (_, after) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(after.contains("Removed 1 passkey from ada@example.com; their sessions ended and they were mailed."), "{after}");
        let row = app.audit_rows().await.into_iter().find(|row| row.0 == "admin_passkeys_remove").unwrap();
        assert_eq!(row.3.as_deref(), Some("passkeys removed: 1; sessions ended: 1"));
    }

    async fn removing_passkeys_from_an_account_without_any_says_so_and_changes_nothing(app: TestApp) {
        let admin = app.admin_browser().await;
        app.signed_up_browser("Bob", BOB).await;
        let id = app.user_id(BOB).await;
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("<dt>Passkeys</dt>\n  <dd id=\"passkeys\">None</dd>"), "{page}");
        assert!(!page.contains("/passkeys/remove"), "no button where there is nothing to remove");

        // A page left open while someone else removed them, say.
        let refused = admin.submit(&format!("/admin/users/{id}/passkeys/remove"), &[]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text().await.unwrap();
        assert!(html.contains("<title>Error: bob@example.com"), "{html}");
        assert!(html.contains(&format!(r##"<a href="#passkeys">{NONE_LEFT}</a>"##)), "in the summary: {html}");
        assert!(html.contains(&format!(r#"<p class="error-message" id="passkeys-error"><span class="visually-hidden">Error:</span> {NONE_LEFT}</p>"#)), "at the passkeys: {html}");
        assert_eq!(audited(&app, "admin_passkeys_remove").await, 0);
        assert_eq!(mails_about_removed_passkeys(&app), 0, "no mail");

        let missing = admin.submit("/admin/users/999999/passkeys/remove", &[]).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    async fn someone_who_is_not_an_admin_cannot_remove_anyones_passkeys(app: TestApp) {
        app.admin_browser().await;
        app.signed_up_browser("Ada", ADA).await;
        let ada_id = app.user_id(ADA).await;
        seed_passkeys(&app, ada_id, &["Phone", "Laptop"]).await;
        let (bob, bob_api) = app.user_api("Bob", BOB).await;

        let refused = bob.submit(&format!("/admin/users/{ada_id}/passkeys/remove"), &[]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        bob_api.delete(&format!("/api/users/{ada_id}/passkeys")).await.assert_error(StatusCode::FORBIDDEN);
        bob_api.get(&format!("/api/users/{ada_id}")).await.assert_error(StatusCode::FORBIDDEN);

        assert_eq!(passkeys_of(&app, ada_id).await, 2, "nothing changed");
        assert_eq!(audited(&app, "admin_passkeys_remove").await, 0);
        assert_eq!(audited(&app, "admin_denied").await, 3, "each knock on an admin door is audited");
        assert_eq!(mails_about_removed_passkeys(&app), 0);
    }

    async fn an_admin_removes_their_own_passkeys_only_on_their_profile(app: TestApp) {
        let admin = app.admin_browser().await;
        let id = app.user_id(ROOT).await;
        seed_passkeys(&app, id, &["Phone"]).await;
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("<dd id=\"passkeys\">1\n"), "{page}");
        assert!(page.contains(r#"<a href="/profile/passkeys">Manage yours on your profile</a>"#), "{page}");
        assert!(!page.contains("/passkeys/remove"), "no button for their own");

        let refused = admin.submit(&format!("/admin/users/{id}/passkeys/remove"), &[]).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text().await.unwrap();
        assert!(html.contains(&OWN.replace('\'', "&#39;")), "the reason, at the passkeys: {html}");
        assert_eq!(passkeys_of(&app, id).await, 1, "still there");
        assert_eq!(audited(&app, "admin_passkeys_remove").await, 0);
    }

    async fn a_removal_whose_audit_row_fails_leaves_every_passkey_and_mails_nobody(app: TestApp) {
        let admin = app.admin_browser().await;
        app.signed_up_browser("Ada", ADA).await;
        let id = app.user_id(ADA).await;
        seed_passkeys(&app, id, &["Phone", "Laptop"]).await;
        refuse_removal_audit_rows(&app).await;

        let failed = admin.submit(&format!("/admin/users/{id}/passkeys/remove"), &[]).await;
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(passkeys_of(&app, id).await, 2, "one transaction: the passkeys stay");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(mails_about_removed_passkeys(&app), 0, "no mail for what did not happen");
    }

    async fn the_api_says_how_many_passkeys_an_account_has_and_an_admin_removes_them_there(app: TestApp) {
        let (_, api) = app.admin_api().await;
        let (_, ada_api) = app.user_api("Ada", ADA).await;
        let id = app.user_id(ADA).await;
        seed_passkeys(&app, id, &["Phone", "Laptop"]).await;

        let user = api.get(&format!("/api/users/{id}")).await;
        assert_eq!(user.status, StatusCode::OK, "{}", user.text);
        assert_eq!((user.json["email"].as_str(), user.json["two_factor"].as_bool(), user.json["passkeys"].as_i64()), (Some(ADA), Some(false), Some(2)), "{}", user.text);
        assert_eq!(ada_api.get(&format!("/api/users/{id}")).await.json["passkeys"], 2, "the owner reads it too");
        let listed = api.get("/api/users").await;
        assert!(listed.json["users"].as_array().unwrap().iter().all(|u| u.get("passkeys").is_none()), "lists leave it out (a query per row): {}", listed.text);

        let removed = api.delete(&format!("/api/users/{id}/passkeys")).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
        assert_eq!(api.get(&format!("/api/users/{id}")).await.json["passkeys"], 0);
        assert_eq!(passkeys_of(&app, id).await, 0);
        assert_eq!(audited(&app, "admin_passkeys_remove").await, 1);
        app.wait_for_mail(ADA, REMOVED_MAIL).await;

        let again = api.delete(&format!("/api/users/{id}/passkeys")).await;
        again.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(again.json["fields"]["passkeys"], NONE_LEFT);
        api.delete("/api/users/999999/passkeys").await.assert_error(StatusCode::NOT_FOUND);
        let root = app.user_id(ROOT).await;
        seed_passkeys(&app, root, &["Phone"]).await;
        let own = api.delete(&format!("/api/users/{root}/passkeys")).await;
        own.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(own.json["fields"]["passkeys"], OWN);
        assert_eq!(passkeys_of(&app, root).await, 1);
        assert_eq!(audited(&app, "admin_passkeys_remove").await, 1, "refusals change nothing");
        assert_eq!(mails_about_removed_passkeys(&app), 1);
    }

    async fn the_openapi_description_has_the_passkey_count_and_the_removal(app: TestApp) {
        let doc = ApiClient::new(&app.address, None).get("/api/openapi.json").await;
        let removal = &doc.json["paths"]["/api/users/{id}/passkeys"]["delete"];
        let mut statuses: Vec<&str> = removal["responses"].as_object().unwrap().keys().map(String::as_str).collect();
        statuses.sort();
        assert_eq!(statuses, ["204", "401", "403", "404", "422", "429"]);
        let read = &doc.json["paths"]["/api/users/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(read["$ref"], "#/components/schemas/UserDetail", "{read}");
        let detail = doc.json["components"]["schemas"]["UserDetail"].to_string();
        assert!(detail.contains("#/components/schemas/UserView") && detail.contains(r#""passkeys""#), "{detail}");
    }
}
