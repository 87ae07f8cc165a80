//! A payload as a collapsible tree: expand or collapse everything, find text, select a node
//! to copy its JSON path or its value. Rendered on the server fully expanded, so it reads
//! before (and without) WebAssembly; the tools work once the page is hydrated.

use std::sync::Arc;

use leptos::prelude::*;
use serde_json::Value;

use crate::components::CopyButton;

/// The signals every node shares.
#[derive(Clone, Copy)]
struct Tree {
    /// Set (to either value, even the same one) to open or close every node.
    expand: RwSignal<bool>,
    /// Lower-cased text to find; empty for none.
    needle: RwSignal<String>,
    /// (display path, JSON pointer) of the selected node.
    selected: RwSignal<Option<(String, String)>>,
}

#[component]
pub fn JsonTree(value: Value) -> impl IntoView {
    let tree = Tree {
        expand: RwSignal::new(true),
        needle: RwSignal::new(String::new()),
        selected: RwSignal::new(None),
    };
    let value = Arc::new(value);
    let root = node(tree, None, &value, "$".into(), String::new());
    let counted = value.clone();
    let matches = move || {
        let needle = tree.needle.get();
        (!needle.is_empty()).then(|| {
            let n = count_matches(&counted, &needle);
            format!("{n} match{}", if n == 1 { "" } else { "es" })
        })
    };
    let selection = move || {
        tree.selected.get().map(|(path, pointer)| {
            let picked = value
                .pointer(&pointer)
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => serde_json::to_string_pretty(other).unwrap_or_default(),
                })
                .unwrap_or_default();
            view! {
                <div class="json-selected" data-testid="json-selected">
                    <code class="mono">{path.clone()}</code>
                    <CopyButton text=path label="Copy path" />
                    <CopyButton text=picked label="Copy value" />
                </div>
            }
        })
    };
    view! {
        <div class="json-tools">
            <button type="button" class="button button-quiet" on:click=move |_| tree.expand.set(true)>
                "Expand all"
            </button>
            <button type="button" class="button button-quiet" on:click=move |_| tree.expand.set(false)>
                "Collapse all"
            </button>
            <input
                type="search"
                class="json-find"
                placeholder="Find in payload"
                aria-label="Find in payload"
                on:input=move |ev| {
                    let text = event_target_value(&ev).to_lowercase();
                    if !text.is_empty() {
                        tree.expand.set(true);
                    }
                    tree.needle.set(text);
                }
            />
            <span class="muted" role="status">{matches}</span>
        </div>
        <p class="muted json-help">"Select a key to copy its path or value."</p>
        {selection}
        <div class="json-tree" data-testid="json-tree">{root}</div>
    }
}

/// `.key` when the key is a plain name, `["odd key"]` otherwise.
fn path_step(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(".{key}")
    } else {
        format!("[{}]", Value::String(key.to_string()))
    }
}

/// RFC 6901 escaping of one pointer segment.
fn pointer_step(key: &str) -> String {
    format!("/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn leaf_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Keys and leaf values containing `needle` (lower-case).
fn count_matches(value: &Value, needle: &str) -> usize {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| usize::from(k.to_lowercase().contains(needle)) + count_matches(v, needle))
            .sum(),
        Value::Array(items) => items.iter().map(|v| count_matches(v, needle)).sum(),
        leaf => usize::from(leaf_text(leaf).to_lowercase().contains(needle)),
    }
}

fn node(tree: Tree, key: Option<String>, value: &Value, path: String, pointer: String) -> AnyView {
    let label = key.map(|k| {
        let lower = k.to_lowercase();
        let (path, pointer) = (path.clone(), pointer.clone());
        let is_selected = {
            let pointer = pointer.clone();
            move || {
                tree.selected
                    .with(|s| s.as_ref().is_some_and(|(_, p)| *p == pointer))
            }
        };
        view! {
            <button
                type="button"
                class="json-key"
                class:hit=move || { let n = tree.needle.get(); !n.is_empty() && lower.contains(&n) }
                class:selected=is_selected
                title=path.clone()
                on:click=move |_| tree.selected.set(Some((path.clone(), pointer.clone())))
            >
                {k}
            </button>
            ": "
        }
    });
    let branch = |label, children: AnyView, meta: String| {
        view! {
            <details open prop:open=move || tree.expand.get()>
                <summary>{label} <span class="json-meta">{meta}</span></summary>
                <ul>{children}</ul>
            </details>
        }
        .into_any()
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match value {
        Value::Object(map) => {
            let children = map
                .iter()
                .map(|(k, v)| {
                    let child = node(
                        tree,
                        Some(k.clone()),
                        v,
                        format!("{path}{}", path_step(k)),
                        format!("{pointer}{}", pointer_step(k)),
                    );
                    view! { <li>{child}</li> }
                })
                .collect_view()
                .into_any();
            branch(
                label,
                children,
                format!("{{{}}}", plural(map.len(), "key", "keys")),
            )
        }
        Value::Array(items) => {
            let children = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let child = node(
                        tree,
                        Some(i.to_string()),
                        v,
                        format!("{path}[{i}]"),
                        format!("{pointer}/{i}"),
                    );
                    view! { <li>{child}</li> }
                })
                .collect_view()
                .into_any();
            branch(
                label,
                children,
                format!("[{}]", plural(items.len(), "item", "items")),
            )
        }
        leaf => {
            let class = match leaf {
                Value::String(_) => "json-str",
                Value::Number(_) => "json-num",
                Value::Bool(_) => "json-bool",
                _ => "json-null",
            };
            let lower = leaf_text(leaf).to_lowercase();
            view! {
                <span class="json-leaf">
                    {label}
                    <span
                        class=class
                        class:hit=move || { let n = tree.needle.get(); !n.is_empty() && lower.contains(&n) }
                    >
                        {leaf.to_string()}
                    </span>
                </span>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_pointers_escape_what_needs_it() {
        assert_eq!(path_step("amount"), ".amount");
        assert_eq!(path_step("a b"), "[\"a b\"]");
        assert_eq!(path_step("0lead"), "[\"0lead\"]");
        assert_eq!(pointer_step("a/b~c"), "/a~1b~0c");
        let v = json!({"a/b~c": {"x": 1}});
        assert_eq!(
            v.pointer(&format!("{}/x", pointer_step("a/b~c"))),
            Some(&json!(1))
        );
    }

    #[test]
    fn matches_count_keys_and_values_case_insensitively() {
        let v = json!({"Customer": "cus_9", "data": {"note": "customer paid", "n": 42}, "list": ["CUS", 1]});
        assert_eq!(count_matches(&v, "cus"), 4);
        assert_eq!(count_matches(&v, "42"), 1);
        assert_eq!(count_matches(&v, "zzz"), 0);
    }
}
