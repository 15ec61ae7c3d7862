//! Invitations from the admin's side and the invited person's: the link arrives by mail,
//! works once within seven days, makes a verified account with the invited role and logs
//! its owner in; admins list, resend and revoke pending invitations; the command line invites
//! too; with `GATEHOUSE_SIGNUP=invite-only` self-registration is closed and says how to get in.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const ADA: &str = "ada@example.com";

/// The invitation link's path in the newest invitation mail to `email`.
async fn invitation_link(app: &TestApp, email: &str) -> String {
    let mail = app.wait_for_mail(email, "You are invited").await;
    let links: Vec<String> = regex::Regex::new(r"/invite/[0-9a-f]{64}")
        .unwrap()
        .find_iter(&mail)
        .map(|m| m.as_str().to_string())
        .collect();
    links.last().expect("a link in the mail").clone()
}

/// Every invitation link mailed to `email`, oldest first.
fn all_invitation_links(app: &TestApp, email: &str) -> Vec<String> {
    let pattern = regex::Regex::new(r"/invite/[0-9a-f]{64}").unwrap();
    let mut mails: Vec<String> = app
        .mails()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {email}")) && m.contains("You are invited"))
        .collect();
    mails.sort_by_key(|m| m.find("Date:").map(|i| m[i..].to_string()));
    mails
        .iter()
        .filter_map(|m| pattern.find(m).map(|l| l.as_str().to_string()))
        .collect()
}

/// The invited person fills in the page behind the link.
async fn accept(browser: &Browser, link: &str, name: &str) -> reqwest::Response {
    browser
        .submit(
            link,
            &[
                ("name", name),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await
}

on_both_backends! {
    async fn an_invited_person_arrives_verified_logged_in_and_with_their_role(app: TestApp) {
        let root = app.admin_browser().await;
        let sent = root.submit("/admin/invitations", &[("email", ADA), ("role", "admin")]).await;
        assert_eq!(location(&sent), "/admin/invitations");
        let (_, page) = root.get_text("/admin/invitations").await;
        assert!(page.contains(&format!("An invitation was mailed to {ADA}.")));
        assert!(page.contains(ADA) && page.contains("root@example.com"), "listed, with who invited");

        let link = invitation_link(&app, ADA).await;
        let ada = app.browser();
        let (status, page) = ada.get_text(&link).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(ADA) && page.contains("as an admin"), "{page}");
        let short = ada.submit(&link, &[("name", "Ada"), ("password", "short"), ("password_confirm", "short")]).await;
        assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY, "the password rules hold");
        let made = accept(&ada, &link, "Ada Lovelace").await;
        assert_eq!(location(&made), "/profile");
        let (_, profile) = ada.get_text("/profile").await;
        assert!(profile.contains("Signed in as <strong>Ada Lovelace</strong>"), "logged in");
        assert!(!profile.contains("Please verify your email address"), "verified on arrival");
        assert_eq!(ada.get("/admin/users").await.status(), StatusCode::OK, "as an admin");

        let (_, page) = root.get_text("/admin/invitations").await;
        assert!(page.contains("No invitation is waiting."), "accepted invitations leave the list");
        let actions: Vec<String> = app.audit_rows().await.into_iter().map(|r| r.0).collect();
        assert!(actions.contains(&"invitation_create".into()) && actions.contains(&"invitation_accept".into()));
    }

    async fn a_link_works_once_and_not_after_seven_days_a_revocation_or_a_resend(app: TestApp) {
        let root = app.admin_browser().await;
        root.submit("/admin/invitations", &[("email", ADA), ("role", "user")]).await;
        let link = invitation_link(&app, ADA).await;
        accept(&app.browser(), &link, "Ada").await;
        let again = app.browser();
        assert_eq!(again.get(&link).await.status(), StatusCode::GONE, "used");
        assert_eq!(accept(&again, &link, "Eve").await.status(), StatusCode::GONE);

        root.submit("/admin/invitations", &[("email", "bob@example.com"), ("role", "user")]).await;
        let bob_link = invitation_link(&app, "bob@example.com").await;
        let (_, page) = root.get_text("/admin/invitations").await;
        let id = regex::Regex::new(r"/admin/invitations/(\d+)/revoke").unwrap().captures(&page).unwrap()[1].to_string();
        let revoked = root.submit(&format!("/admin/invitations/{id}/revoke"), &[]).await;
        assert_eq!(location(&revoked), "/admin/invitations");
        assert_eq!(app.browser().get(&bob_link).await.status(), StatusCode::GONE, "revoked");

        root.submit("/admin/invitations", &[("email", "cy@example.com"), ("role", "user")]).await;
        let first = invitation_link(&app, "cy@example.com").await;
        let (_, page) = root.get_text("/admin/invitations").await;
        let id = regex::Regex::new(r"/admin/invitations/(\d+)/resend").unwrap().captures(&page).unwrap()[1].to_string();
        root.submit(&format!("/admin/invitations/{id}/resend"), &[]).await;
        let mut links = Vec::new();
        for _ in 0..100 {
            links = all_invitation_links(&app, "cy@example.com");
            if links.len() == 2 { break; }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let second = links.into_iter().find(|l| *l != first).expect("a second link");
        assert_eq!(app.browser().get(&first).await.status(), StatusCode::GONE, "the old link ended");
        assert_eq!(app.browser().get(&second).await.status(), StatusCode::OK);

        app.clock.advance(7 * 24 * 3600 + 1);
        assert_eq!(app.browser().get(&second).await.status(), StatusCode::GONE, "seven days passed");
        assert_eq!(app.count_users().await, 2, "root and Ada only");
    }

    async fn an_email_with_an_account_or_a_pending_invitation_is_not_invited_again(app: TestApp) {
        let root = app.admin_browser().await;
        app.browser().register("Ada", ADA, PASSWORD).await;
        let taken = root.submit("/admin/invitations", &[("email", ADA), ("role", "user")]).await;
        assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.text().await.unwrap().contains("An account with this email already exists."));
        root.submit("/admin/invitations", &[("email", "bob@example.com"), ("role", "user")]).await;
        let twice = root.submit("/admin/invitations", &[("email", "bob@example.com"), ("role", "user")]).await;
        assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(twice.text().await.unwrap().contains("invited already"));
        let bad = root.submit("/admin/invitations", &[("email", "not an email"), ("role", "owner")]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let user = app.signed_up_browser("Eve", "eve@example.com").await;
        let forbidden = user.submit("/admin/invitations", &[("email", "mallory@example.com"), ("role", "admin")]).await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN, "only admins invite");
    }

    async fn the_operator_invites_from_the_command_line(app: TestApp) {
        let output = app.command_line(&["invite", "--email", ADA, "--role", "admin"]);
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{printed} {}", String::from_utf8_lossy(&output.stderr));
        assert!(printed.contains(&format!("Invited {ADA}")) && printed.contains("/invite/"), "{printed}");
        let link = invitation_link(&app, ADA).await;
        assert!(printed.contains(&link), "the printed link is the mailed one");
        let ada = app.browser();
        accept(&ada, &link, "Ada").await;
        assert_eq!(ada.get("/admin/users").await.status(), StatusCode::OK, "an admin");

        let refused = app.command_line(&["invite", "--email", "not an email"]);
        assert_eq!(refused.status.code(), Some(2));
    }

    async fn on_an_invite_only_site_sign_up_is_closed_and_says_how_to_get_in(app: TestApp) {
        let root = app.admin_browser().await;
        let site = app.with_settings(|settings| {
            settings.policies.sign_up = gatehouse::domain::SignUpPolicy::InviteOnly;
        }).await;
        let visitor = site.browser();
        let (status, page) = visitor.get_text("/register").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("open by invitation only") && !page.contains("Create account"), "{page}");
        let (_, login) = visitor.get_text("/login").await;
        assert!(login.contains("ask an administrator to invite you"));
        let refused = visitor.register("Eve", "eve@example.com", PASSWORD).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.text().await.unwrap().contains("open by invitation only"));
        assert_eq!(site.count_users().await, 1, "root only");

        let root = Browser::with_cookie(&site.address, &root.session_cookie().unwrap());
        root.submit("/admin/invitations", &[("email", ADA), ("role", "user")]).await;
        let link = invitation_link(&site, ADA).await;
        let ada = site.browser();
        assert_eq!(location(&accept(&ada, &link, "Ada").await), "/profile", "invitations still open it");
    }
}
