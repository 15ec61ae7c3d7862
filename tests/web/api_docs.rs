//! `docs/api.md` stays true: each of its `curl` examples is run, in order, against a fresh
//! server (as the first admin, with a token), and the status line and JSON shown under it
//! must be what the server answers (times are compared by type only).

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

/// One example: the curl command and what the docs say comes back.
#[derive(Debug)]
struct Example {
    command: String,
    status: u16,
    body: Option<Value>,
}

fn examples(markdown: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    for block in markdown.split("```sh\n").skip(1) {
        let block = block.split("```").next().unwrap().replace("\\\n", " ");
        let mut command = None;
        let (mut status, mut body) = (None, None);
        for line in block.lines() {
            if let Some(line) = line.strip_prefix("# HTTP/1.1 ") {
                status = line.split(' ').next().and_then(|s| s.parse().ok());
            } else if let Some(json) = line.strip_prefix("# {") {
                body = Some(serde_json::from_str(&format!("{{{json}")).expect("JSON in docs"));
            } else if line.starts_with("curl ") {
                command = Some(line.to_string());
            }
        }
        let command = command.expect("a curl command in each sh block");
        let status = status.unwrap_or_else(|| panic!("no status line under {command}"));
        examples.push(Example {
            command,
            status,
            body,
        });
    }
    examples
}

/// Splits a command line the way a POSIX shell would, for the quoting the docs use.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut in_word) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

async fn run(app: &TestApp, token: &str, command: &str) -> ApiResponse {
    let words: Vec<String> = shell_words(command)
        .into_iter()
        .map(|w| {
            w.replace("$GATEHOUSE", &app.address)
                .replace("$TOKEN", token)
        })
        .collect();
    let (mut method, mut url, mut headers, mut data) = (None, None, Vec::new(), None);
    let mut args = words.iter().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-X" => {
                method = args
                    .next()
                    .map(|m| Method::from_bytes(m.as_bytes()).unwrap())
            }
            "-H" => headers.push(args.next().unwrap().clone()),
            "-d" => data = args.next().cloned(),
            "-s" | "-i" | "-si" => {}
            other if other.starts_with("http") => url = Some(other.to_string()),
            other => panic!("the docs use a curl option this test does not know: {other}"),
        }
    }
    let method = method.unwrap_or(if data.is_some() {
        Method::POST
    } else {
        Method::GET
    });
    let mut request = reqwest::Client::new().request(method, url.expect("a URL"));
    for header in headers {
        let (name, value) = header.split_once(": ").expect("Name: value");
        request = request.header(name, value);
    }
    if let Some(data) = data {
        request = request.body(data);
    }
    ApiResponse::read(request.send().await.unwrap()).await
}

/// Equal, except that values of `…_at` keys only need the same type (times differ).
fn same_shape(expected: &Value, actual: &Value, key: &str) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| same_shape(v, av, k)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| same_shape(e, a, key))
        }
        (Value::String(_), Value::String(_)) if key.ends_with("_at") => true,
        (e, a) => e == a,
    }
}

on_both_backends! {
    async fn the_curl_examples_in_docs_api_md_are_true(app: TestApp) {
        let markdown = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md")).unwrap();
        let examples = examples(&markdown);
        assert!(examples.len() >= 10, "{examples:?}");
        let browser = app.admin_browser().await;
        let token = browser.create_api_token("docs", "").await;
        for example in examples {
            let response = run(&app, &token, &example.command).await;
            assert_eq!(response.status, StatusCode::from_u16(example.status).unwrap(), "{}\n{}", example.command, response.text);
            if let Some(expected) = &example.body {
                assert!(same_shape(expected, &response.json, ""), "{}\ndocs:   {expected}\nserver: {}", example.command, response.text);
            }
        }
    }
}

#[test]
fn shell_words_follow_the_quoting_of_the_docs() {
    assert_eq!(
        shell_words(r#"curl -d '{"a": 1}' -H "X: $T" "$G/api""#),
        ["curl", "-d", r#"{"a": 1}"#, "-H", "X: $T", "$G/api"]
    );
}
