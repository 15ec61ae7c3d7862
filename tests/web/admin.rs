use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

/// The emails listed on an admin users page, in order.
fn listed_emails(html: &str) -> Vec<String> {
    regex::Regex::new(r#"<td><a href="/admin/users/\d+">([^<]+)</a></td>"#)
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_string())
        .collect()
}

fn user(i: i64) -> String {
    format!("user{i:03}@example.com")
}

on_both_backends! {
    async fn the_admin_area_is_only_for_admins(app: TestApp) {
        let admin = app.admin_browser().await;
        let anonymous = app.browser().get("/admin/users?role=admin").await;
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&anonymous), "/login?next=%2Fadmin%2Fusers%3Frole%3Dadmin");
        let member = app.signed_up_browser("Ada", "ada@example.com").await;
        let refused = member.get("/admin/users").await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.text().await.unwrap().contains("You do not have access to this page"));
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "admin_denied" && r.3.as_deref() == Some("/admin/users")));
        let index = admin.get("/admin").await;
        assert_eq!(index.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&index), "/admin/users");
        assert_eq!(admin.get("/admin/users").await.status(), StatusCode::OK);
    }

    async fn a_role_change_takes_effect_on_the_next_request(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        app.admin_browser().await;
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        assert_eq!(ada.get("/admin/users").await.status(), StatusCode::FORBIDDEN);
        app.query(|c| diesel::update(users::table.filter(users::email.eq("ada@example.com"))).set(users::role.eq("admin")).execute(c)).await;
        assert_eq!(ada.get("/admin/users").await.status(), StatusCode::OK);
        app.query(|c| diesel::update(users::table.filter(users::email.eq("ada@example.com"))).set(users::role.eq("user")).execute(c)).await;
        assert_eq!(ada.get("/admin/users").await.status(), StatusCode::FORBIDDEN);
    }

    async fn the_user_list_shows_50_a_page_with_the_total_and_page_links(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(300).await;
        let (status, html) = admin.get_text("/admin/users?sort=email").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("301 users · page 1 of 7"));
        let emails = listed_emails(&html);
        assert_eq!(emails.len(), 50);
        assert_eq!(emails[0], "root@example.com");
        assert_eq!(emails[1..], (1..=49).map(user).collect::<Vec<_>>());
        assert!(html.contains(r#"<a href="/admin/users?sort=email&#38;page=2">Next</a>"#), "{html}");
        assert!(html.contains(r#"<a href="/admin/users?sort=email&#38;page=7">Last</a>"#));
        assert!(html.contains(r#"<span aria-disabled="true">Previous</span>"#));
        let (_, middle) = admin.get_text("/admin/users?sort=email&page=4").await;
        assert_eq!(listed_emails(&middle), (150..=199).map(user).collect::<Vec<_>>());
        assert!(middle.contains(r#"<a href="/admin/users?sort=email&#38;page=3">Previous</a>"#));
        let (_, last) = admin.get_text("/admin/users?sort=email&page=7").await;
        assert_eq!(listed_emails(&last), [user(300)]);
        let (_, beyond) = admin.get_text("/admin/users?page=9").await;
        assert!(beyond.contains("No users match on this page."));
    }

    async fn search_finds_a_substring_of_email_or_name_in_any_case(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(120).await;
        let (_, html) = admin.get_text("/admin/users?q=GIVEN11&sort=email").await;
        let expected: Vec<String> = [11, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119].into_iter().map(user).collect();
        assert_eq!(listed_emails(&html), expected);
        assert!(html.contains("11 users"));
        assert!(html.contains(r#"value="GIVEN11""#), "the search stays in the form");
        let (_, by_email) = admin.get_text("/admin/users?q=user007%40").await;
        assert_eq!(listed_emails(&by_email), [user(7)]);
        let (_, wildcard) = admin.get_text("/admin/users?q=%25").await;
        assert!(wildcard.contains("No users match."), "% is searched for literally");
    }

    async fn filters_by_role_and_status_combine_with_search(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(120).await;
        let (_, admins) = admin.get_text("/admin/users?role=admin&sort=email").await;
        let mut expected = vec!["root@example.com".to_string()];
        expected.extend((10..=120).step_by(10).map(user));
        assert_eq!(listed_emails(&admins), expected);
        let (_, disabled_admins) = admin.get_text("/admin/users?role=admin&status=disabled&sort=email").await;
        assert_eq!(listed_emails(&disabled_admins), [user(70)]);
        let (_, disabled) = admin.get_text("/admin/users?status=disabled&q=Family1&sort=email").await;
        let expected: Vec<String> = [14, 105, 112, 119].into_iter().map(user).collect();
        assert_eq!(listed_emails(&disabled), expected);
        assert!(disabled.contains(r#"<option value="disabled" selected>"#));
    }

    async fn every_column_sorts_both_ways(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(30).await;
        let first = |html: &str| listed_emails(html).into_iter().take(3).collect::<Vec<_>>();
        let cases: Vec<(&str, Vec<String>)> = vec![
            ("email", vec!["root@example.com".into(), user(1), user(2)]),
            ("-email", vec![user(30), user(29), user(28)]),
            ("name", vec![user(1), user(10), user(11)]),
            ("-name", vec!["root@example.com".into(), user(9), user(8)]),
            ("-created", vec!["root@example.com".into(), user(30), user(29)]),
            ("created", vec![user(1), user(2), user(3)]),
            ("-last_login", vec!["root@example.com".into(), user(3), user(6)]),
            ("last_login", vec![user(1), user(2), user(4)]),
            ("role", vec!["root@example.com".into(), user(10), user(20)]),
            ("-role", vec![user(29), user(28), user(27)]),
            ("status", vec![user(7), user(14), user(21)]),
            ("-status", vec![user(30), user(29), user(27)]),
        ];
        for (sort, expected) in cases {
            let (_, html) = admin.get_text(&format!("/admin/users?sort={sort}")).await;
            assert_eq!(first(&html), expected, "sort={sort}");
        }
        let (_, html) = admin.get_text("/admin/users?sort=email").await;
        assert!(html.contains(r#"aria-sort="ascending"><a href="/admin/users?sort=-email">Email ▲</a>"#), "{html}");
        for (key, label) in [("name", "Name"), ("role", "Role"), ("status", "Status"), ("created", "Created"), ("last_login", "Last login")] {
            assert!(html.contains(&format!(r#"<a href="/admin/users?sort={key}">{label}</a></th>"#)), "every column has a sorting header: {label}");
        }
        assert_eq!(html.matches("<th scope=\"col\"").count(), 8, "a header for the checkbox, each of the six sorting columns and two-step login");
    }

    async fn bad_list_parameters_are_answered_400_with_the_reason(app: TestApp) {
        let admin = app.admin_browser().await;
        for (query, reason) in [("role=root", "role must be user or admin"), ("status=gone", "status must be active or disabled"), ("sort=password_hash", "sort must be"), ("page=0", "page must be"), ("page=x", "page must be")] {
            let response = admin.get(&format!("/admin/users?{query}")).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
            assert!(response.text().await.unwrap().contains(reason), "{query}");
        }
    }

    async fn a_users_page_shows_their_details_and_recent_activity(app: TestApp) {
        let admin = app.admin_browser().await;
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        ada.logout().await;
        let (_, list) = admin.get_text("/admin/users?q=ada").await;
        let id = regex::Regex::new(r#"/admin/users/(\d+)""#).unwrap().captures(&list).unwrap()[1].to_string();
        let (status, html) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<h1>Ada</h1>") && html.contains("ada@example.com"));
        assert!(html.contains("<td>logout</td>") && html.contains("<td>register</td>"));
        assert_eq!(admin.get("/admin/users/999999").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(admin.get("/admin/users/not-a-number").await.status(), StatusCode::NOT_FOUND);
    }
}

on_both_backends! {
    async fn an_admin_creates_an_account_that_can_log_in(app: TestApp) {
        let admin = app.admin_browser().await;
        assert_eq!(admin.get("/admin/users/new").await.status(), StatusCode::OK);
        let response = admin
            .submit("/admin/users/new", &[("name", "Grace Hopper"), ("email", "Grace@Example.com"), ("password", PASSWORD), ("role", "admin"), ("active", "on")])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let page = location(&response);
        assert!(regex::Regex::new(r"^/admin/users/\d+$").unwrap().is_match(&page), "{page}");
        let (_, html) = admin.get_text(&page).await;
        assert!(html.contains("Created the account grace@example.com."));
        assert!(html.contains("<h1>Grace Hopper</h1>") && html.contains("<dd>admin</dd>"));
        assert_eq!(app.browser().login("grace@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let row = app.audit_rows().await.into_iter().find(|r| r.0 == "admin_create_user").unwrap();
        assert_eq!((row.2.as_deref(), row.3.as_deref()), (Some("grace@example.com"), Some("role: admin, active: true")));
    }

    async fn a_new_account_left_inactive_cannot_log_in(app: TestApp) {
        let admin = app.admin_browser().await;
        let response = admin.submit("/admin/users/new", &[("name", "Dormant"), ("email", "dormant@example.com"), ("password", PASSWORD), ("role", "user")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.browser().login("dormant@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    }

    async fn the_new_user_form_shows_each_error_and_keeps_the_values(app: TestApp) {
        let admin = app.admin_browser().await;
        let response = admin
            .submit("/admin/users/new", &[("name", "Grace"), ("email", "nope"), ("password", "short"), ("role", "root"), ("active", "on")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        for message in ["Enter an email address like name@example.com.", "Use at least 8 characters.", "Choose user or admin."] {
            assert!(html.contains(message), "{message}");
        }
        assert!(html.contains(r#"value="Grace""#) && html.contains(r#"value="nope""#) && html.contains(r#"value="on" checked"#));
        let taken = admin.submit("/admin/users/new", &[("name", "Again"), ("email", "ROOT@example.com"), ("password", PASSWORD), ("role", "user")]).await;
        assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.text().await.unwrap().contains("An account with this email already exists."));
        assert_eq!(app.count_users().await, 1);
    }

    async fn a_non_admin_cannot_create_accounts(app: TestApp) {
        app.admin_browser().await;
        let member = app.signed_up_browser("Ada", "ada@example.com").await;
        let response = member.submit("/admin/users/new", &[("name", "Sneaky"), ("email", "sneaky@example.com"), ("password", PASSWORD), ("role", "admin"), ("active", "on")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.count_users().await, 2);
    }
}

/// The id of the account with this email, from the admin list.
async fn user_id(admin: &Browser, email: &str) -> String {
    let (_, html) = admin
        .get_text(&format!("/admin/users?q={}", email.replace('@', "%40")))
        .await;
    regex::Regex::new(r#"/admin/users/(\d+)""#)
        .unwrap()
        .captures(&html)
        .expect("listed")[1]
        .to_string()
}

/// Two admins acted against each other at once (`answers[i]` went to the admin whose
/// target was `targets[i]`): exactly one change went through (303 into the admin area);
/// the other was refused — as the last active admin (422), or because its admin had
/// already lost the role (403) or the session (303 to the login page) when the request
/// was checked. The winner is the one admin left.
async fn one_wins_and_the_other_is_refused(
    app: &TestApp,
    answers: [&reqwest::Response; 2],
    targets: [&str; 2],
) {
    use diesel::prelude::*;
    use gatehouse::db::schema::users;
    let seen: Vec<(StatusCode, String)> =
        answers.iter().map(|r| (r.status(), location(r))).collect();
    let won =
        |i: usize| seen[i].0 == StatusCode::SEE_OTHER && seen[i].1.starts_with("/admin/users");
    let winners: Vec<usize> = (0..2).filter(|&i| won(i)).collect();
    assert_eq!(winners.len(), 1, "exactly one wins: {seen:?}");
    let (status, location) = &seen[1 - winners[0]];
    let refused = [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::FORBIDDEN].contains(status)
        || (*status == StatusCode::SEE_OTHER && location.starts_with("/login?next="));
    assert!(refused, "the other is refused: {seen:?}");
    let admins: Vec<String> = app
        .query(|c| {
            users::table
                .filter(users::role.eq("admin"))
                .filter(users::active.eq(true))
                .select(users::email)
                .load(c)
        })
        .await;
    assert_eq!(
        admins,
        [targets[1 - winners[0]]],
        "the winner's target lost the role; {seen:?}"
    );
}

async fn edit(admin: &Browser, id: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    admin
        .submit(&format!("/admin/users/{id}/edit"), fields)
        .await
}

on_both_backends! {
    async fn an_admin_edits_an_account_and_the_audit_shows_before_and_after(app: TestApp) {
        let admin = app.admin_browser().await;
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let id = user_id(&admin, "ada@example.com").await;
        let (status, form) = admin.get_text(&format!("/admin/users/{id}/edit")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(form.contains(r#"value="Ada""#) && form.contains(r#"value="on" checked"#));
        let response = edit(&admin, &id, &[("name", "Ada King"), ("email", "ada@example.com"), ("role", "user"), ("active", "on")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), format!("/admin/users/{id}"));
        let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
        assert!(page.contains("Saved the account ada@example.com.") && page.contains("<h1>Ada King</h1>"));
        assert_eq!(ada.get("/profile").await.status(), StatusCode::OK, "a rename leaves sessions alone");
        let row = app.audit_rows().await.into_iter().rfind(|r| r.0 == "admin_update_user").unwrap();
        assert_eq!(row.3.as_deref(), Some("name: Ada → Ada King"));
    }

    async fn disabling_an_account_ends_its_sessions_at_once(app: TestApp) {
        let admin = app.admin_browser().await;
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let id = user_id(&admin, "ada@example.com").await;
        let response = edit(&admin, &id, &[("name", "Ada"), ("email", "ada@example.com"), ("role", "user")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(ada.get("/profile").await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.browser().login("ada@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        let row = app.audit_rows().await.into_iter().rfind(|r| r.0 == "admin_update_user").unwrap();
        assert_eq!(row.3.as_deref(), Some("active: true → false; sessions ended: 1"));
    }

    async fn a_role_change_or_a_new_password_ends_the_accounts_sessions(app: TestApp) {
        let admin = app.admin_browser().await;
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let id = user_id(&admin, "ada@example.com").await;
        edit(&admin, &id, &[("name", "Ada"), ("email", "ada@example.com"), ("role", "admin"), ("active", "on")]).await;
        assert_eq!(ada.get("/profile").await.status(), StatusCode::SEE_OTHER, "promotion logs out");
        let ada = app.browser();
        ada.login("ada@example.com", PASSWORD).await;
        assert_eq!(ada.get("/admin/users").await.status(), StatusCode::OK);
        let response = edit(&admin, &id, &[("name", "Ada"), ("email", "ada@example.com"), ("role", "admin"), ("active", "on"), ("new_password", "set by the admin today")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(ada.get("/profile").await.status(), StatusCode::SEE_OTHER, "a new password logs out");
        assert_eq!(app.browser().login("ada@example.com", "set by the admin today").await.status(), StatusCode::SEE_OTHER);
        let rows = app.audit_rows().await;
        let details: Vec<_> = rows.iter().filter(|r| r.0 == "admin_update_user").map(|r| r.3.clone().unwrap()).collect();
        assert_eq!(details, ["role: user → admin; sessions ended: 1", "password: changed; sessions ended: 1"]);
        assert!(!format!("{rows:?}").contains("set by the admin today"));
    }

    async fn an_admin_cannot_lock_themselves_out(app: TestApp) {
        let admin = app.admin_browser().await;
        let id = user_id(&admin, "root@example.com").await;
        let demote = edit(&admin, &id, &[("name", "Root"), ("email", "root@example.com"), ("role", "user"), ("active", "on")]).await;
        assert_eq!(demote.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(demote.text().await.unwrap().contains("You cannot remove your own admin role"));
        let disable = edit(&admin, &id, &[("name", "Root"), ("email", "root@example.com"), ("role", "admin")]).await;
        assert_eq!(disable.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(disable.text().await.unwrap().contains("You cannot disable your own account"));
        assert_eq!(admin.get("/admin/users").await.status(), StatusCode::OK);
    }

    async fn two_admins_demoting_each_other_at_once_leave_one_admin(app: TestApp) {
        let root = app.admin_browser().await;
        root.submit("/admin/users/new", &[("name", "Grace"), ("email", "grace@example.com"), ("password", PASSWORD), ("role", "admin"), ("active", "on")]).await;
        let grace = app.browser();
        grace.login("grace@example.com", PASSWORD).await;
        let (root_id, grace_id) = (user_id(&root, "root@example.com").await, user_id(&root, "grace@example.com").await);
        let (a, b) = tokio::join!(
            edit(&root, &grace_id, &[("name", "Grace"), ("email", "grace@example.com"), ("role", "user"), ("active", "on")]),
            edit(&grace, &root_id, &[("name", "Root"), ("email", "root@example.com"), ("role", "user"), ("active", "on")]),
        );
        one_wins_and_the_other_is_refused(&app, [&a, &b], ["grace@example.com", "root@example.com"]).await;
    }

    async fn an_edit_with_bad_values_is_refused_with_field_errors(app: TestApp) {
        let admin = app.admin_browser().await;
        app.signed_up_browser("Ada", "ada@example.com").await;
        let id = user_id(&admin, "ada@example.com").await;
        let response = edit(&admin, &id, &[("name", ""), ("email", "root@example.com"), ("role", "owner"), ("active", "on"), ("new_password", "short")]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        for message in ["Enter your name.", "Choose user or admin.", "Use at least 8 characters."] {
            assert!(html.contains(message), "{message}");
        }
        let taken = edit(&admin, &id, &[("name", "Ada"), ("email", "ROOT@example.com"), ("role", "user"), ("active", "on")]).await;
        assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.text().await.unwrap().contains("An account with this email already exists."));
        assert_eq!(admin.get("/admin/users/999999/edit").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(edit(&admin, "999999", &[("name", "X"), ("email", "x@example.com"), ("role", "user")]).await.status(), StatusCode::NOT_FOUND);
    }
}

on_both_backends! {
    async fn an_admin_deletes_an_account_after_a_confirmation_page(app: TestApp) {
        let admin = app.admin_browser().await;
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let id = user_id(&admin, "ada@example.com").await;
        let (status, confirm) = admin.get_text(&format!("/admin/users/{id}/delete")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(confirm.contains("Delete this account?") && confirm.contains("ada@example.com"));
        assert_eq!(app.count_users().await, 2, "the confirmation page changes nothing");
        let response = admin.submit(&format!("/admin/users/{id}/delete"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/admin/users");
        let (_, list) = admin.get_text("/admin/users").await;
        assert!(list.contains("Deleted the account ada@example.com."));
        assert_eq!(app.count_users().await, 1);
        assert_eq!(ada.get("/profile").await.status(), StatusCode::SEE_OTHER, "their session is gone");
        assert_eq!(admin.get(&format!("/admin/users/{id}")).await.status(), StatusCode::NOT_FOUND);
        let row = app.audit_rows().await.into_iter().rfind(|r| r.0 == "admin_delete_user").unwrap();
        assert_eq!((row.2.as_deref(), row.3.as_deref()), (Some("ada@example.com"), Some("deleted ada@example.com (user, active)")));
    }

    async fn an_admin_cannot_delete_themselves_and_a_missing_account_is_404(app: TestApp) {
        let admin = app.admin_browser().await;
        let id = user_id(&admin, "root@example.com").await;
        let response = admin.submit(&format!("/admin/users/{id}/delete"), &[]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("You cannot delete your own account here"));
        assert_eq!(app.count_users().await, 1);
        assert_eq!(admin.submit("/admin/users/999999/delete", &[]).await.status(), StatusCode::NOT_FOUND);
        let member = app.signed_up_browser("Ada", "ada@example.com").await;
        assert_eq!(member.submit(&format!("/admin/users/{id}/delete"), &[]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.count_users().await, 2);
    }

    async fn two_admins_deleting_each_other_at_once_leave_one_admin(app: TestApp) {
        let root = app.admin_browser().await;
        root.submit("/admin/users/new", &[("name", "Grace"), ("email", "grace@example.com"), ("password", PASSWORD), ("role", "admin"), ("active", "on")]).await;
        let grace = app.browser();
        grace.login("grace@example.com", PASSWORD).await;
        let (root_id, grace_id) = (user_id(&root, "root@example.com").await, user_id(&root, "grace@example.com").await);
        let (grace_path, root_path) = (format!("/admin/users/{grace_id}/delete"), format!("/admin/users/{root_id}/delete"));
        let (a, b) = tokio::join!(root.submit(&grace_path, &[]), grace.submit(&root_path, &[]));
        one_wins_and_the_other_is_refused(&app, [&a, &b], ["grace@example.com", "root@example.com"]).await;
    }
}

async fn bulk(admin: &Browser, action: &str, ids: &[String], confirm: bool) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("action", action)];
    fields.extend(ids.iter().map(|id| ("ids", id.as_str())));
    if confirm {
        fields.push(("confirm", "yes"));
    }
    admin.submit("/admin/users/bulk", &fields).await
}

/// The emails in one list of the bulk confirmation page.
fn bulk_section(html: &str, heading: &str) -> Vec<String> {
    let Some(start) = html.find(heading) else {
        return Vec::new();
    };
    let section = &html[start..];
    let end = section.find("</ul>").unwrap();
    regex::Regex::new(r"<li>(?:<strong>)?([^<\s]+@example\.com)")
        .unwrap()
        .captures_iter(&section[..end])
        .map(|c| c[1].to_string())
        .collect()
}

on_both_backends! {
    async fn bulk_disable_confirms_exactly_which_accounts_change_then_changes_them(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(10).await;
        let three = app.browser();
        three.login(&user(3), PASSWORD).await;
        let mut ids = Vec::new();
        for email in [user(1), user(2), user(3), user(7), "root@example.com".to_string()] {
            ids.push(user_id(&admin, &email).await);
        }
        let review = bulk(&admin, "disable", &ids, false).await;
        assert_eq!(review.status(), StatusCode::OK);
        let html = review.text().await.unwrap();
        assert_eq!(bulk_section(&html, "will change"), [user(1), user(2), user(3)]);
        assert_eq!(bulk_section(&html, "will not change"), ["root@example.com".to_string(), user(7)]);
        assert!(html.contains("(your own account)") && html.contains("(already disabled)"));
        assert!(html.contains("Disable 3 accounts"));
        assert_eq!(app.audit_rows().await.iter().filter(|r| r.0.starts_with("admin_bulk")).count(), 0, "reviewing changes nothing");

        let done = bulk(&admin, "disable", &ids, true).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        let (_, list) = admin.get_text("/admin/users?status=disabled&sort=email").await;
        assert!(list.contains("Disabled 3 accounts."));
        assert_eq!(listed_emails(&list), [user(1), user(2), user(3), user(7)]);
        assert_eq!(three.get("/profile").await.status(), StatusCode::SEE_OTHER, "a disabled account's session ends at once");
        let rows: Vec<_> = app.audit_rows().await.into_iter().filter(|r| r.0 == "admin_bulk_disable").collect();
        assert_eq!(rows.iter().map(|r| r.2.clone().unwrap()).collect::<Vec<_>>(), [user(1), user(2), user(3)]);
        assert_eq!(rows[2].3.as_deref(), Some("active: true → false; sessions ended: 1"));
    }

    async fn bulk_enable_and_delete_change_only_what_they_should(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(14).await;
        let ids = vec![user_id(&admin, &user(7)).await, user_id(&admin, &user(8)).await];
        assert_eq!(bulk(&admin, "enable", &ids, true).await.status(), StatusCode::SEE_OTHER);
        let (_, list) = admin.get_text("/admin/users").await;
        assert!(list.contains("Enabled 1 account."), "user008 was already active");
        assert_eq!(bulk(&admin, "delete", &ids, true).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.count_users().await, 13);
        let deleted: Vec<_> = app.audit_rows().await.into_iter().filter(|r| r.0 == "admin_bulk_delete").map(|r| r.3.unwrap()).collect();
        assert_eq!(deleted, ["deleted user007@example.com (user, active)", "deleted user008@example.com (user, active)"]);
    }

    async fn bulk_requests_with_nothing_selected_or_bad_values_are_refused(app: TestApp) {
        let admin = app.admin_browser().await;
        let empty = bulk(&admin, "disable", &[], false).await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.text().await.unwrap().contains("Select at least one account first."));
        let bad_action = bulk(&admin, "explode", &["1".into()], true).await;
        assert_eq!(bad_action.status(), StatusCode::BAD_REQUEST);
        assert!(bad_action.text().await.unwrap().contains("Choose an action"));
        assert_eq!(bulk(&admin, "disable", &["one".into()], true).await.status(), StatusCode::BAD_REQUEST);
        let member = app.signed_up_browser("Ada", "ada@example.com").await;
        assert_eq!(bulk(&member, "delete", &["1".into()], true).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.count_users().await, 2);
    }

    async fn two_admins_bulk_disabling_each_other_at_once_leave_one_admin(app: TestApp) {
        let root = app.admin_browser().await;
        root.submit("/admin/users/new", &[("name", "Grace"), ("email", "grace@example.com"), ("password", PASSWORD), ("role", "admin"), ("active", "on")]).await;
        let grace = app.browser();
        grace.login("grace@example.com", PASSWORD).await;
        let (root_id, grace_id) = (user_id(&root, "root@example.com").await, user_id(&root, "grace@example.com").await);
        let (root_ids, grace_ids) = ([grace_id], [root_id]);
        let (a, b) = tokio::join!(bulk(&root, "disable", &root_ids, true), bulk(&grace, "disable", &grace_ids, true));
        one_wins_and_the_other_is_refused(&app, [&a, &b], ["grace@example.com", "root@example.com"]).await;
    }
}

/// (time, actor, action, target) of each row on an audit page.
fn audit_lines(html: &str) -> Vec<(String, String)> {
    regex::Regex::new(r"<td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>")
        .unwrap()
        .captures_iter(html)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

on_both_backends! {
    async fn the_audit_log_shows_newest_first_and_filters_by_actor_target_and_action(app: TestApp) {
        let admin = app.admin_browser().await;
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        ada.logout().await;
        app.browser().login("ada@example.com", "not her password").await;
        let id = user_id(&admin, "ada@example.com").await;
        edit(&admin, &id, &[("name", "Ada King"), ("email", "ada@example.com"), ("role", "user"), ("active", "on")]).await;

        let (status, html) = admin.get_text("/admin/audit").await;
        assert_eq!(status, StatusCode::OK);
        let lines = audit_lines(&html);
        assert_eq!(lines[0], ("root@example.com".to_string(), "admin_update_user".to_string()), "newest first");
        assert!(html.contains("name: Ada → Ada King"), "an edit shows before → after");
        let (_, by_actor) = admin.get_text("/admin/audit?actor=ADA%40example.com").await;
        let actions: Vec<String> = audit_lines(&by_actor).into_iter().map(|l| l.1).collect();
        assert_eq!(actions, ["logout", "email_verification_sent", "register"]);
        let (_, by_target) = admin.get_text("/admin/audit?target=ada%40example.com&action=login").await;
        let lines = audit_lines(&by_target);
        assert_eq!(lines.len(), 1);
        assert!(by_target.contains("failure") && by_target.contains("wrong password"));
        assert!(by_target.contains(r#"<option value="login" selected>"#));
    }

    async fn the_audit_log_pages_by_event_number(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::audit_events as a;
        let admin = app.admin_browser().await;
        app.query(|c| {
            for i in 0..60 {
                diesel::insert_into(a::table)
                    .values((a::created_at.eq(1_700_000_000 + i), a::action.eq("login"), a::outcome.eq("failure"), a::target.eq(format!("t{i:02}@example.com"))))
                    .execute(c)?;
            }
            Ok(())
        })
        .await;
        let (_, first) = admin.get_text("/admin/audit?action=login").await;
        assert_eq!(audit_lines(&first).len(), 50);
        assert!(first.contains("t59@example.com") && !first.contains("t09@example.com"));
        let older = regex::Regex::new(r#"<a href="(/admin/audit\?action=login&#38;before=\d+)">Older</a>"#).unwrap().captures(&first).expect("an Older link")[1].replace("&#38;", "&");
        let (_, second) = admin.get_text(&older).await;
        assert_eq!(audit_lines(&second).len(), 10);
        assert!(second.contains("t09@example.com") && second.contains("t00@example.com"));
        assert!(second.contains(r#"<span aria-disabled="true">Older</span>"#) && second.contains(r#"<a href="/admin/audit">Newest</a>"#));
    }

    async fn bad_audit_filters_are_answered_400(app: TestApp) {
        let admin = app.admin_browser().await;
        assert_eq!(admin.get("/admin/audit?action=drop_tables").await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(admin.get("/admin/audit?before=-3").await.status(), StatusCode::BAD_REQUEST);
        let member = app.signed_up_browser("Ada", "ada@example.com").await;
        assert_eq!(member.get("/admin/audit").await.status(), StatusCode::FORBIDDEN);
    }
}

/// The "N users · page x of y" line of the list.
fn count_line(html: &str) -> String {
    regex::Regex::new(r#"class="count" role="status">([^<]+)<"#)
        .unwrap()
        .captures(html)
        .unwrap()[1]
        .to_string()
}

on_both_backends! {
    async fn the_totals_stay_exact_through_creates_disables_and_deletes(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(20).await;
        assert_eq!(count_line(&admin.get_text("/admin/users").await.1), "21 users · page 1 of 1");
        assert_eq!(count_line(&admin.get_text("/admin/users?status=disabled").await.1), "2 users · page 1 of 1");
        assert_eq!(count_line(&admin.get_text("/admin/users?role=admin&status=active").await.1), "3 users · page 1 of 1");
        let ids = vec![user_id(&admin, &user(1)).await, user_id(&admin, &user(2)).await];
        bulk(&admin, "disable", &ids, true).await;
        assert_eq!(count_line(&admin.get_text("/admin/users?status=disabled").await.1), "4 users · page 1 of 1");
        bulk(&admin, "enable", &ids[..1], true).await;
        bulk(&admin, "delete", &ids, true).await;
        admin.submit("/admin/users/new", &[("name", "New"), ("email", "new@example.com"), ("password", PASSWORD), ("role", "admin"), ("active", "on")]).await;
        assert_eq!(count_line(&admin.get_text("/admin/users").await.1), "20 users · page 1 of 1");
        assert_eq!(count_line(&admin.get_text("/admin/users?status=disabled").await.1), "2 users · page 1 of 1");
        assert_eq!(count_line(&admin.get_text("/admin/users?role=admin").await.1), "4 users · page 1 of 1");
    }

    async fn a_search_of_one_or_two_characters_still_finds_substrings(app: TestApp) {
        let admin = app.admin_browser().await;
        app.seed_users(30).await;
        let (_, html) = admin.get_text("/admin/users?q=7%40&sort=email").await;
        assert_eq!(listed_emails(&html), [user(7), user(17), user(27)]);
        let (_, html) = admin.get_text("/admin/users?q=Y2&sort=email").await;
        assert_eq!(listed_emails(&html), [user(2), user(20), user(21), user(22), user(23), user(24), user(25), user(26), user(27), user(28), user(29)]);
    }

    async fn a_search_with_very_many_matches_says_so_instead_of_counting_them_all(app: TestApp) {
        let admin = app.admin_browser().await;
        let now = app.clock.now();
        app.query(move |c| gatehouse::db::seed::insert_range(c, 1, 1_050, 1_050, "$2b$04$abcdefghijklmnopqrstuu", now)).await;
        let (_, html) = admin.get_text("/admin/users?q=example").await;
        assert_eq!(count_line(&html), "1,000+ users · page 1 of 20+");
        assert!(html.contains(r#"<span aria-disabled="true">Last</span>"#), "no last page when the total is not known");
        assert_eq!(listed_emails(&html).len(), 50);
        assert_eq!(count_line(&admin.get_text("/admin/users").await.1), "1,051 users · page 1 of 22");
    }
}

on_both_backends! {
    async fn deep_pages_hold_exactly_the_rows_a_plain_offset_would(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        let admin = app.admin_browser().await;
        // 12,000 users over some 13 days, shuffled further across days, some disabled, some admins.
        let now = app.clock.now();
        app.query(move |c| {
            gatehouse::db::seed::insert_range(c, 1, 12_000, 12_000, "$2b$04$abcdefghijklmnopqrstuu", now)?;
            diesel::sql_query("UPDATE users SET created_at = created_at - (id % 9) * 86400, active = (id % 5 <> 0), role = CASE WHEN id % 7 = 0 THEN 'admin' ELSE role END WHERE id > 1").execute(c)
        })
        .await;
        for (query, descending, role) in [("page=201", true, None), ("page=230&sort=created", false, None), ("page=201&role=user", true, Some("user")), ("page=202&sort=created&role=user", false, Some("user"))] {
            let page: i64 = query.split('&').next().unwrap()[5..].parse().unwrap();
            let expected: Vec<String> = app
                .query(move |c| {
                    let mut q = users::table.select(users::email).into_boxed();
                    if let Some(role) = role {
                        q = q.filter(users::role.eq(role));
                    }
                    q = if descending { q.order((users::created_at.desc(), users::id.desc())) } else { q.order((users::created_at.asc(), users::id.asc())) };
                    q.limit(50).offset((page - 1) * 50).load(c)
                })
                .await;
            assert_eq!(expected.len(), 50, "{query}");
            let (_, html) = admin.get_text(&format!("/admin/users?{query}")).await;
            assert_eq!(listed_emails(&html), expected, "{query}");
        }
    }

    async fn a_search_lists_exactly_the_rows_and_count_a_plain_scan_would(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        let admin = app.admin_browser().await;
        // 1,300 users whose creation times are shuffled across days (not in id order).
        let now = app.clock.now();
        app.query(move |c| {
            gatehouse::db::seed::insert_range(c, 1, 1_300, 1_300, "$2b$04$abcdefghijklmnopqrstuu", now)?;
            diesel::sql_query("UPDATE users SET created_at = created_at - (id % 9) * 86400, active = (id % 5 <> 0), role = CASE WHEN id % 7 = 0 THEN 'admin' ELSE role END WHERE id > 1").execute(c)
        })
        .await;
        let cases = [
            ("user1", "", 1, true), ("user1", "sort=created", 2, false), ("given12", "", 1, true), ("given12", "&role=user&status=active", 1, true),
            ("example", "", 3, true), ("example", "sort=created", 21, false), ("example", "&status=disabled", 2, true), ("nobody-matches", "", 1, true),
        ];
        for (term, extra, page, descending) in cases {
            let role = extra.contains("role=user").then_some("user");
            let active = extra.contains("status=active").then_some(true).or(extra.contains("status=disabled").then_some(false));
            let pattern = format!("%{term}%");
            let (expected, count): (Vec<String>, i64) = app
                .query(move |c| {
                    let matching = || {
                        diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
                        let mut q = users::table.filter(users::email.like(pattern.clone()).or(lower(users::name).like(pattern.clone()))).into_boxed();
                        if let Some(role) = role {
                            q = q.filter(users::role.eq(role));
                        }
                        if let Some(active) = active {
                            q = q.filter(users::active.eq(active));
                        }
                        q
                    };
                    let ordered = if descending { matching().order((users::created_at.desc(), users::id.desc())) } else { matching().order((users::created_at.asc(), users::id.asc())) };
                    let rows = ordered.select(users::email).limit(50).offset((page - 1) * 50).load(c)?;
                    Ok((rows, matching().count().get_result(c)?))
                })
                .await;
            let url = format!("/admin/users?q={term}&page={page}&{extra}");
            let (status, html) = admin.get_text(&url).await;
            assert_eq!(status, StatusCode::OK, "{url}");
            assert_eq!(listed_emails(&html), expected, "{url}");
            let shown = count_line(&html);
            let said = if count > 1_000 { "1,000+ users".to_string() } else if count == 1 { "1 user".to_string() } else { format!("{} users", count.to_string().as_str().chars().rev().collect::<Vec<_>>().chunks(3).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(",").chars().rev().collect::<String>()) };
            assert!(shown.starts_with(&format!("{said} · ")), "{url}: {shown} for {count} matches");
        }
    }
}
