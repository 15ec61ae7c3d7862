use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_backends;

const BANNER: &str = "Please verify your email address";
const SUBJECT: &str = "Verify your email address for Gatehouse";

/// The verification link in a mail, as a path.
fn link_in(mail: &str) -> String {
    regex::Regex::new(r"http://localhost:\d+(/verify-email/[0-9a-f]{64})")
        .unwrap()
        .captures(mail)
        .expect("a verification link")[1]
        .to_string()
}

/// Every verification link mailed to `to` so far, in no particular order.
fn links_to(app: &TestApp, to: &str) -> Vec<String> {
    app.mails()
        .iter()
        .filter(|m| m.contains(&format!("To: {to}")) && m.contains(SUBJECT))
        .map(|m| link_in(m))
        .collect()
}

on_both_backends! {
    async fn a_new_account_is_verified_through_the_mailed_link(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let (_, profile) = ada.get_text("/profile").await;
        assert!(profile.contains(BANNER), "an unverified account sees the banner");
        let link = link_in(&app.wait_for_mail("ada@example.com", SUBJECT).await);
        let (status, page) = ada.get_text(&link).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Confirm that <strong>ada@example.com</strong> is your address."));
        let verified = ada.submit(&link, &[]).await;
        assert_eq!((verified.status(), location(&verified)), (StatusCode::SEE_OTHER, "/profile".into()));
        let (_, profile) = ada.get_text("/profile").await;
        assert!(profile.contains("Thank you: your email address is verified."));
        assert!(!profile.contains(BANNER), "the banner is gone");
        assert_eq!(ada.get(&link).await.status(), StatusCode::GONE, "the link works once");
        assert_eq!(ada.submit(&link, &[]).await.status(), StatusCode::GONE);
        let actions: Vec<String> = app.audit_rows().await.into_iter().map(|r| r.0).collect();
        assert!(actions.contains(&"email_verification_sent".into()) && actions.contains(&"email_verify".into()));
    }

    async fn a_link_opened_while_logged_out_verifies_and_asks_to_log_in(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let link = link_in(&app.wait_for_mail("ada@example.com", SUBJECT).await);
        let phone = app.browser();
        let verified = phone.submit(&link, &[]).await;
        assert_eq!(location(&verified), "/login?verified=1");
        assert!(phone.get_text("/login?verified=1").await.1.contains("your email address is verified"));
        phone.login("ada@example.com", PASSWORD).await;
        assert!(!phone.get_text("/profile").await.1.contains(BANNER));
    }

    async fn an_expired_link_is_refused(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let link = link_in(&app.wait_for_mail("ada@example.com", SUBJECT).await);
        app.clock.advance(3 * 24 * 3600 + 1);
        let (status, page) = ada.get_text(&link).await;
        assert_eq!(status, StatusCode::GONE);
        assert!(page.contains("This link has expired or was already used."));
        let again = app.browser();
        again.login("ada@example.com", PASSWORD).await;
        assert!(again.get_text("/profile").await.1.contains(BANNER), "still unverified");
    }

    async fn an_unverified_account_can_ask_for_a_new_link_once_a_minute(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let first = link_in(&app.wait_for_mail("ada@example.com", SUBJECT).await);
        let too_soon = ada.submit("/verify-email", &[]).await;
        assert_eq!(location(&too_soon), "/profile");
        assert!(ada.get_text("/profile").await.1.contains("A link was sent less than a minute ago"));
        app.clock.advance(61);
        ada.submit("/verify-email", &[]).await;
        assert!(ada.get_text("/profile").await.1.contains("We sent a new link to ada@example.com."));
        let mut second = None;
        for _ in 0..200 {
            second = links_to(&app, "ada@example.com").into_iter().find(|l| *l != first);
            if second.is_some() { break; }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let second = second.expect("a second link");
        assert_eq!(ada.get(&first).await.status(), StatusCode::GONE, "a new link replaces the old one");
        assert_eq!(ada.submit(&second, &[]).await.status(), StatusCode::SEE_OTHER);
        ada.submit("/verify-email", &[]).await;
        assert!(ada.get_text("/profile").await.1.contains("Your email address is already verified."));
    }

    async fn a_changed_email_must_be_verified_again(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let old_link = link_in(&app.wait_for_mail("ada@example.com", SUBJECT).await);
        ada.submit(&old_link, &[]).await;
        let changed = ada
            .submit("/profile", &[("name", "Ada"), ("email", "ada@lovelace.example"), ("current_password", PASSWORD)])
            .await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        assert!(ada.get_text("/profile").await.1.contains(BANNER), "the new address is not verified yet");
        let new_link = link_in(&app.wait_for_mail("ada@lovelace.example", SUBJECT).await);
        assert_eq!(ada.submit(&new_link, &[]).await.status(), StatusCode::SEE_OTHER);
        assert!(!ada.get_text("/profile").await.1.contains(BANNER));
    }

    async fn an_admin_sees_whether_an_email_is_verified_and_can_mark_it(app: TestApp) {
        let admin = app.admin_browser().await;
        let created = admin
            .submit("/admin/users/new", &[("name", "Grace"), ("email", "grace@example.com"), ("password", PASSWORD), ("role", "user"), ("active", "on")])
            .await;
        let page = location(&created);
        app.wait_for_mail("grace@example.com", SUBJECT).await;
        let (_, html) = admin.get_text(&page).await;
        assert!(html.contains("Not verified") && html.contains("Mark verified"));
        let marked = admin.submit(&format!("{page}/verify"), &[]).await;
        assert_eq!((marked.status(), location(&marked)), (StatusCode::SEE_OTHER, page.clone()));
        let (_, html) = admin.get_text(&page).await;
        assert!(html.contains("grace@example.com is marked verified."));
        assert!(html.contains(">Verified<") && !html.contains("Mark verified"));
        let row = app.audit_rows().await.into_iter().find(|r| r.0 == "admin_verify_email").expect("audited");
        assert_eq!(row.2.as_deref(), Some("grace@example.com"));
        let grace = app.browser();
        grace.login("grace@example.com", PASSWORD).await;
        assert!(!grace.get_text("/profile").await.1.contains(BANNER));
        let user = app.signed_up_browser("Bob", "bob@example.com").await;
        assert_eq!(user.submit(&format!("{page}/verify"), &[]).await.status(), StatusCode::FORBIDDEN);
    }
}
