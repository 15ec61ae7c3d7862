//! Two-step login seen from the admin side: the user list shows and filters who has it, an
//! admin turns it off for someone locked out of it (page and API), and a site can require
//! it of its admins (`GATEHOUSE_REQUIRE_ADMIN_2FA`).

use reqwest::{Method, StatusCode};

use crate::helpers::*;
use crate::on_both_backends;

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";
const REQUIRED: &str = "This site requires admins to use two-step login";

/// The emails listed on an admin users page, in order.
fn listed_emails(html: &str) -> Vec<String> {
    regex::Regex::new(r#"<td><a href="/admin/users/\d+">([^<]+)</a></td>"#)
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_string())
        .collect()
}

/// The "N users · page x of y" line of the list.
fn count_line(html: &str) -> String {
    regex::Regex::new(r#"class="count" role="status">([^<]+)<"#)
        .unwrap()
        .captures(html)
        .unwrap()[1]
        .to_string()
}

/// The two-step login cell of each row, as text.
fn two_factor_cells(html: &str) -> Vec<String> {
    regex::Regex::new(r#"<td>(<span class="badge">On</span>|Off)</td>\s*</tr>"#)
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].replace(r#"<span class="badge">On</span>"#, "On"))
        .collect()
}

/// Ada, signed up with two-step login on and still logged in (on her laptop, say).
async fn ada_with_two_factor(app: &TestApp) -> (Browser, TwoFactor) {
    let browser = app.signed_up_browser("Ada", ADA).await;
    let two_factor = browser.turn_on_two_factor(app).await;
    (browser, two_factor)
}

async fn is_logged_in(browser: &Browser) -> bool {
    browser.get("/profile").await.status() == StatusCode::OK
}

/// How many audit rows of this action there are.
async fn audited(app: &TestApp, action: &str) -> usize {
    app.audit_rows()
        .await
        .iter()
        .filter(|row| row.0 == action)
        .count()
}

on_both_backends! {
    async fn the_user_list_shows_and_filters_who_has_two_step_login(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(60).await;
        ada_with_two_factor(&app).await;

        let (_, all) = admin.get_text("/admin/users?sort=email").await;
        assert!(all.contains(r#"<th scope="col">Two-step login</th>"#), "a column for it");
        let cells = two_factor_cells(&all);
        assert_eq!(cells.len(), 50, "every row says on or off, in words");
        assert_eq!(listed_emails(&all)[0], ADA);
        assert_eq!(cells[0], "On");
        assert!(cells[1..].iter().all(|cell| cell == "Off"));

        let (status, on) = admin.get_text("/admin/users?two_factor=on").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed_emails(&on), [ADA]);
        assert_eq!(count_line(&on), "1 user · page 1 of 1");
        assert!(on.contains(r#"<option value="on" selected>"#), "the filter stays in the form");

        let (_, off) = admin.get_text("/admin/users?two_factor=off&sort=email").await;
        assert_eq!(count_line(&off), "61 users · page 1 of 2");
        assert!(!listed_emails(&off).contains(&ADA.to_string()));
        assert!(off.contains(r#"<a href="/admin/users?two_factor=off&#38;sort=email&#38;page=2">Next</a>"#), "pages keep the filter: {off}");
        let (_, second) = admin.get_text("/admin/users?two_factor=off&sort=email&page=2").await;
        assert_eq!(listed_emails(&second).len(), 11);

        let (_, searched) = admin.get_text("/admin/users?q=ada&two_factor=on").await;
        assert_eq!(listed_emails(&searched), [ADA], "with a search, in creation order");
        let (_, searched) = admin.get_text("/admin/users?q=example&two_factor=on&sort=name").await;
        assert_eq!(listed_emails(&searched), [ADA], "with a search, in another order");
        let (_, nobody) = admin.get_text("/admin/users?q=user0&two_factor=on").await;
        assert!(nobody.contains("No users match."));
        let (_, admins) = admin.get_text("/admin/users?role=admin&status=active&two_factor=off&sort=email").await;
        assert_eq!(listed_emails(&admins)[0], "root@example.com", "it combines with role and status");

        let bad = admin.get("/admin/users?two_factor=maybe").await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert!(bad.text().await.unwrap().contains("two_factor must be on or off"));
    }

    async fn deep_pages_filtered_by_two_step_login_hold_exactly_the_rows_a_plain_offset_would(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        let admin = app.admin_browser().await;
        // 12,000 users over some 13 days (deep enough for PostgreSQL's seek by day), one in
        // ten with two-step login.
        let now = app.clock.now();
        app.query(move |c| {
            gatehouse::db::seed::insert_range(c, 1, 12_000, 12_000, "$2b$04$abcdefghijklmnopqrstuu", now)?;
            diesel::sql_query("UPDATE users SET created_at = created_at - (id % 9) * 86400, two_factor_since = CASE WHEN id % 10 = 0 THEN created_at END WHERE id > 1").execute(c)
        })
        .await;
        for (query, descending, on) in [("page=201&two_factor=off", true, false), ("page=20&two_factor=on", true, true), ("page=210&sort=created&two_factor=off", false, false)] {
            let page: i64 = query.split('&').next().unwrap()[5..].parse().unwrap();
            let expected: Vec<String> = app
                .query(move |c| {
                    let mut q = users::table.select(users::email).into_boxed();
                    q = if on { q.filter(users::two_factor_since.is_not_null()) } else { q.filter(users::two_factor_since.is_null()) };
                    q = if descending { q.order((users::created_at.desc(), users::id.desc())) } else { q.order((users::created_at.asc(), users::id.asc())) };
                    q.limit(50).offset((page - 1) * 50).load(c)
                })
                .await;
            assert_eq!(expected.len(), 50, "{query}");
            let (status, html) = admin.get_text(&format!("/admin/users?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}");
            assert_eq!(listed_emails(&html), expected, "{query}");
            assert!(count_line(&html).starts_with("1,000+ users · "), "the total is capped, not counted: {query}");
        }
    }
}

on_both_backends! {
    async fn an_admin_turns_two_step_login_off_for_a_locked_out_user(app: TestApp) {
        let admin = app.admin_browser().await;
        let (laptop, _lost_phone) = ada_with_two_factor(&app).await;
        let old_cookie = laptop.session_cookie().expect("Ada's session");
        let id = app.user_id(ADA).await;

        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("<dt>Two-step login</dt>"));
        assert!(page.contains(r#"<span class="badge">On</span> since "#), "on, since when: {page}");
        assert!(page.contains(&format!(r#"action="/admin/users/{id}/two-factor/off""#)));

        let without_token = admin.post_raw(&format!("/admin/users/{id}/two-factor/off"), &[]).await;
        assert_eq!(without_token.status(), StatusCode::FORBIDDEN, "CSRF, like every form");
        let off = admin.submit(&format!("/admin/users/{id}/two-factor/off"), &[]).await;
        assert_eq!((off.status(), location(&off)), (StatusCode::SEE_OTHER, format!("/admin/users/{id}")));
        let (_, after) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(after.contains("Two-step login is off for ada@example.com"), "{after}");
        assert!(after.contains("<dt>Two-step login</dt>\n  <dd>Off</dd>"), "{after}");

        let row = app.audit_rows().await.into_iter().find(|row| row.0 == "admin_two_factor_disable").expect("an audit row");
        assert_eq!((row.1.as_str(), row.2.as_deref()), ("success", Some(ADA)));
        assert!(row.3.unwrap().contains("sessions ended: 1"));
        assert!(!is_logged_in(&laptop).await, "her sessions ended");
        assert!(!is_logged_in(&Browser::with_cookie(&app.address, &old_cookie)).await, "an old cookie is dead");
        app.wait_for_mail(ADA, "an administrator turned off two-step login").await;
        let secrets_left: i64 = app
            .query(move |c| {
                use diesel::prelude::*;
                use gatehouse::db::schema::{recovery_codes, totp_secrets};
                let secrets: i64 = totp_secrets::table.filter(totp_secrets::user_id.eq(id)).count().get_result(c)?;
                let codes: i64 = recovery_codes::table.filter(recovery_codes::user_id.eq(id)).count().get_result(c)?;
                Ok(secrets + codes)
            })
            .await;
        assert_eq!(secrets_left, 0, "the secret and the recovery codes are gone");

        let browser = app.browser();
        let login = browser.login(ADA, PASSWORD).await;
        assert_eq!(location(&login), "/profile", "the password alone logs her in");
        assert!(is_logged_in(&browser).await);
    }

    async fn turning_it_off_for_an_account_without_it_says_so_and_changes_nothing(app: TestApp) {
        let admin = app.admin_browser().await;
        let bob = app.signed_up_browser("Bob", BOB).await;
        let id = app.user_id(BOB).await;
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("<dt>Two-step login</dt>\n  <dd>Off</dd>"), "no button where it is off");
        assert!(!page.contains("/two-factor/off"));

        let off = admin.submit(&format!("/admin/users/{id}/two-factor/off"), &[]).await;
        assert_eq!(location(&off), format!("/admin/users/{id}"));
        let (_, after) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(after.contains("Two-step login is not on for this account; nothing was changed."), "{after}");
        assert_eq!(audited(&app, "admin_two_factor_disable").await, 0);
        assert!(is_logged_in(&bob).await, "Bob's session goes on");
        assert!(app.mails().iter().all(|mail| !mail.contains("Two-step login is off")), "no mail");

        let missing = admin.submit("/admin/users/999999/two-factor/off", &[]).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let refused = bob.submit(&format!("/admin/users/{id}/two-factor/off"), &[]).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "only for admins");
    }

    async fn an_admin_turns_off_their_own_two_step_login_only_on_their_profile(app: TestApp) {
        let admin = app.admin_browser().await;
        admin.turn_on_two_factor(&app).await;
        let id = app.user_id("root@example.com").await;
        let (_, before) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(before.contains(r#"<a href="/profile/two-factor">Manage yours on your profile</a>"#), "{before}");
        assert!(!before.contains("/two-factor/off"), "no button for their own");
        admin.submit(&format!("/admin/users/{id}/two-factor/off"), &[]).await;
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("Turn your own two-step login off on your profile"), "{page}");
        assert!(page.contains(r#"<span class="badge">On</span> since "#), "still on");
        assert_eq!(audited(&app, "admin_two_factor_disable").await, 0);
    }

    async fn the_api_shows_two_step_login_and_an_admin_turns_it_off_there(app: TestApp) {
        let (_, api) = app.admin_api().await;
        let (laptop, _) = ada_with_two_factor(&app).await;
        let id = app.user_id(ADA).await;
        let user = api.get(&format!("/api/users/{id}")).await;
        assert_eq!(user.json["two_factor"], true, "{}", user.text);
        let listed = api.get("/api/users").await;
        assert_eq!(listed.json["users"][1]["two_factor"], true);
        assert_eq!(listed.json["users"][0]["two_factor"], false);

        let off = api.delete(&format!("/api/users/{id}/two-factor")).await;
        assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.text);
        assert_eq!(api.get(&format!("/api/users/{id}")).await.json["two_factor"], false);
        assert!(!is_logged_in(&laptop).await);
        assert_eq!(audited(&app, "admin_two_factor_disable").await, 1);
        app.wait_for_mail(ADA, "an administrator turned off two-step login").await;

        let again = api.delete(&format!("/api/users/{id}/two-factor")).await;
        again.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(again.json["fields"]["two_factor"], "Two-step login is not on for this account; nothing was changed.");
        api.delete("/api/users/999999/two-factor").await.assert_error(StatusCode::NOT_FOUND);
        let (_, member) = app.user_api("Bob", BOB).await;
        member.delete(&format!("/api/users/{id}/two-factor")).await.assert_error(StatusCode::FORBIDDEN);
        assert_eq!(audited(&app, "admin_two_factor_disable").await, 1);
    }
}

on_both_backends! {
    async fn where_admins_must_have_two_step_login_an_admin_without_it_is_sent_to_set_it_up(app: TestApp) {
        let strict = app.with_settings(|s| s.require_admin_2fa = true).await;
        let admin = strict.admin_browser().await;
        let token = admin.create_api_token("admin script", "").await;
        let script = ApiClient::new(&strict.address, Some(&token));
        strict.signed_up_browser("Bob", BOB).await;
        let bob_id = strict.user_id(BOB).await;

        for path in ["/admin", "/admin/users", &format!("/admin/users/{bob_id}"), "/admin/audit"] {
            let response = admin.get(path).await;
            assert_eq!((response.status(), location(&response)), (StatusCode::SEE_OTHER, "/profile/two-factor".into()), "{path}");
        }
        let (status, setup) = admin.get_text("/profile/two-factor").await;
        assert_eq!(status, StatusCode::OK);
        assert!(setup.contains(REQUIRED), "the set-up page says why: {setup}");
        let form = admin.submit(&format!("/admin/users/{bob_id}/unlock"), &[]).await;
        assert_eq!(location(&form), "/profile/two-factor", "forms too");
        assert_eq!(audited(&strict, "admin_unlock").await, 0);

        for response in [script.get("/api/users").await, script.get(&format!("/api/users/{bob_id}")).await, script.delete(&format!("/api/users/{bob_id}")).await] {
            response.assert_error(StatusCode::FORBIDDEN);
            assert!(response.json["error"].as_str().unwrap().contains("two-step login"), "{}", response.text);
        }
        admin.api(Method::GET, "/api/users", None, &[]).await.assert_error(StatusCode::FORBIDDEN);
        assert_eq!(script.get("/api/me").await.status, StatusCode::OK, "what is not admin work still works");
        assert_eq!(strict.count_users().await, 2, "nothing was deleted");
        assert_eq!(audited(&strict, "admin_denied").await, 0, "an admin one step short is not an intruder");

        admin.turn_on_two_factor(&strict).await;
        assert_eq!(admin.get("/admin/users").await.status(), StatusCode::OK, "with it on, the admin pages work");
        assert_eq!(script.get("/api/users").await.status, StatusCode::OK, "and the API");
        let (_, users) = admin.get_text("/admin/users").await;
        assert!(!users.contains(REQUIRED));
    }

    async fn where_it_is_not_required_admins_without_it_work_as_before(app: TestApp) {
        let (admin, api) = app.admin_api().await;
        assert_eq!(admin.get("/admin/users").await.status(), StatusCode::OK);
        assert_eq!(api.get("/api/users").await.status, StatusCode::OK);
        let strict = app.with_settings(|s| s.require_admin_2fa = true).await;
        let member = strict.signed_up_browser("Bob", BOB).await;
        assert_eq!(member.get("/admin/users").await.status(), StatusCode::FORBIDDEN, "a member is still refused, not sent to set-up");
        assert_eq!(audited(&strict, "admin_denied").await, 1);
    }

    async fn the_operator_turns_it_off_on_the_command_line_when_the_only_admin_lost_the_phone(app: TestApp) {
        let laptop = app.admin_browser().await;
        laptop.turn_on_two_factor(&app).await;
        let root = "root@example.com";

        let output = app.command_line(&["turn-off-two-factor", "--email", "ROOT@example.com"]);
        let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{stderr}");
        assert_eq!(stdout, format!("Two-step login is off for {root}; their sessions ended and they were mailed.\n"));
        assert!(!is_logged_in(&laptop).await, "every session of theirs ended");
        app.wait_for_mail(root, "turned off").await;
        let rows = app.audit_rows().await;
        let row = rows.iter().rfind(|row| row.0 == "admin_two_factor_disable").expect("an audit row");
        assert_eq!(row.2.as_deref(), Some(root));
        assert!(row.3.as_deref().unwrap().contains("sessions ended: 1"), "{row:?}");

        let response = app.browser().login(root, PASSWORD).await;
        assert_eq!(location(&response), "/profile", "the password alone logs in again");

        let again = app.command_line(&["turn-off-two-factor", "--email", root]);
        assert_eq!(again.status.code(), Some(2));
        assert_eq!(String::from_utf8_lossy(&again.stderr), "gatehouse: email: Two-step login is not on for this account; nothing was changed.\n");
        let nobody = app.command_line(&["turn-off-two-factor", "--email", "nobody@example.com"]);
        assert_eq!(nobody.status.code(), Some(2));
        assert_eq!(String::from_utf8_lossy(&nobody.stderr), "gatehouse: email: No account has this email.\n");
        assert_eq!(audited(&app, "admin_two_factor_disable").await, 1, "refusals change nothing");
    }
}
