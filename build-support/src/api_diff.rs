//! What a change of the generated code does to its users, one line per public item, judged by
//! Rust's rules (the ones cargo-semver-checks applies), not by JSON's: a field added to a struct
//! users can build with a literal breaks them, `T` becoming `Option<T>` breaks them, a variant
//! added to an exhaustive enum breaks them.
//!
//! The two sides are generated sources (the checked-in snapshot and the code for a changed
//! fragment); items are compared by path (`raw::types::ActorToken`), so a rename shows as one
//! item removed and one added.

use std::collections::BTreeMap;
use std::fmt;

use quote::ToTokens;

/// How a change affects code that uses the item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Code that compiled before may not compile now: needs a major version (a minor one
    /// before 1.0).
    Breaking,
    /// New API only: code that compiled before still does.
    Additive,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Breaking => "breaking",
            Impact::Additive => "additive",
        })
    }
}

/// One change of one public item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiChange {
    /// Whether it breaks users.
    pub impact: Impact,
    /// The item's path, e.g. `raw::types::ClerkErrors`.
    pub item: String,
    /// What changed, e.g. ``field `clerk_trace_id` removed``.
    pub what: String,
}

impl fmt::Display for ApiChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.impact, self.item, self.what)
    }
}

/// The verdict over a set of changes: the largest impact, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Nothing public changed.
    None,
    /// Only additions.
    Additive,
    /// At least one change breaks users.
    Breaking,
}

impl Verdict {
    /// The verdict for `changes`.
    pub fn of(changes: &[ApiChange]) -> Self {
        changes.iter().fold(Verdict::None, |verdict, change| {
            verdict.max(match change.impact {
                Impact::Breaking => Verdict::Breaking,
                Impact::Additive => Verdict::Additive,
            })
        })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::None => "none",
            Verdict::Additive => "additive",
            Verdict::Breaking => "breaking",
        })
    }
}

/// Compares two generated sources whose items live under `root` (e.g. `raw`), and returns the
/// changes in item order, breaking ones first within an item.
pub fn compare(root: &str, old: &str, new: &str) -> Result<Vec<ApiChange>, String> {
    let old = public_items(root, old).map_err(|e| format!("the old code does not parse: {e}"))?;
    let new = public_items(root, new).map_err(|e| format!("the new code does not parse: {e}"))?;
    let mut changes = Vec::new();
    // The methods and trait implementations of a type that is itself removed or added go with
    // it: one line for the type.
    let goes_with_its_type =
        |path: &str, side: &BTreeMap<String, Item>, other: &BTreeMap<String, Item>| {
            let one_sided = |owner: &str| {
                matches!(
                    side.get(owner),
                    Some(Item::Struct { .. } | Item::Enum { .. })
                ) && !other.contains_key(owner)
            };
            match path.split_once(": impl ") {
                // An implementation goes with any type of this crate it names that is on one side.
                Some((module_or_owner, implemented)) => {
                    one_sided(module_or_owner)
                        || implemented
                            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .any(|name| !name.is_empty() && one_sided(&join(module_or_owner, name)))
                }
                None => one_sided(path.rsplit_once("::").map_or("", |(owner, _)| owner)),
            }
        };
    for (path, before) in &old {
        match new.get(path) {
            None if goes_with_its_type(path, &old, &new) => {}
            None => changes.push(change(
                Impact::Breaking,
                path,
                format!("{} removed", before.kind()),
            )),
            Some(after) => compare_item(path, before, after, &mut changes),
        }
    }
    for (path, after) in &new {
        if !old.contains_key(path) && !goes_with_its_type(path, &new, &old) {
            changes.push(change(
                Impact::Additive,
                path,
                format!("{} added", after.kind()),
            ));
        }
    }
    changes.sort();
    Ok(changes)
}

fn change(impact: Impact, item: &str, what: String) -> ApiChange {
    ApiChange {
        impact,
        item: item.to_string(),
        what,
    }
}

/// A public item, reduced to what users depend on.
#[derive(Debug)]
enum Item {
    Struct {
        /// Public fields in order, with their types.
        fields: Vec<(String, String)>,
        /// Users can build it with a literal: every field is public and it is not
        /// `#[non_exhaustive]`.
        constructible: bool,
        /// The derived traits.
        derives: Vec<String>,
    },
    Enum {
        variants: Vec<(String, String)>,
        exhaustive: bool,
        derives: Vec<String>,
    },
    /// A function or method: its signature as written, without its body.
    Function(String),
    /// A type alias, constant or static: its declaration without any value.
    Declaration(&'static str, String),
    /// A trait implementation (`impl Trait for Type`), which users may rely on.
    Impl,
    Module,
}

impl Item {
    fn kind(&self) -> &'static str {
        match self {
            Item::Struct { .. } => "struct",
            Item::Enum { .. } => "enum",
            Item::Function(_) => "function",
            Item::Declaration(kind, _) => kind,
            Item::Impl => "trait implementation",
            Item::Module => "module",
        }
    }
}

fn compare_item(path: &str, before: &Item, after: &Item, out: &mut Vec<ApiChange>) {
    match (before, after) {
        (
            Item::Struct {
                fields: old_fields,
                derives: old_derives,
                ..
            },
            Item::Struct {
                fields: new_fields,
                constructible,
                derives: new_derives,
            },
        ) => {
            compare_members("field", path, old_fields, new_fields, out, |_| {
                if *constructible {
                    // cargo-semver-checks: constructible_struct_adds_field.
                    (
                        Impact::Breaking,
                        " (the struct can be built with a literal)",
                    )
                } else {
                    (Impact::Additive, "")
                }
            });
            compare_derives(path, old_derives, new_derives, out);
        }
        (
            Item::Enum {
                variants: old_variants,
                derives: old_derives,
                exhaustive: was_exhaustive,
            },
            Item::Enum {
                variants: new_variants,
                exhaustive,
                derives: new_derives,
            },
        ) => {
            compare_members("variant", path, old_variants, new_variants, out, |_| {
                if *exhaustive {
                    // cargo-semver-checks: enum_variant_added.
                    (
                        Impact::Breaking,
                        " (the enum is exhaustive: matches on it break)",
                    )
                } else {
                    (Impact::Additive, "")
                }
            });
            if *was_exhaustive && !exhaustive {
                out.push(change(
                    Impact::Breaking,
                    path,
                    "became #[non_exhaustive]".into(),
                ));
            }
            compare_derives(path, old_derives, new_derives, out);
        }
        (Item::Function(old), Item::Function(new))
        | (Item::Declaration(_, old), Item::Declaration(_, new)) => {
            if old != new {
                out.push(change(
                    Impact::Breaking,
                    path,
                    format!("signature changed from `{old}` to `{new}`"),
                ));
            }
        }
        (Item::Impl, Item::Impl) | (Item::Module, Item::Module) => {}
        (before, after) => out.push(change(
            Impact::Breaking,
            path,
            format!("{} became a {}", before.kind(), after.kind()),
        )),
    }
}

/// Members (fields, variants) compared by name: removed and retyped ones break; added ones are
/// judged by `added`.
fn compare_members(
    member: &str,
    path: &str,
    old: &[(String, String)],
    new: &[(String, String)],
    out: &mut Vec<ApiChange>,
    added: impl Fn(&str) -> (Impact, &'static str),
) {
    for (name, ty) in old {
        match new.iter().find(|(n, _)| n == name) {
            None => out.push(change(
                Impact::Breaking,
                path,
                format!("{member} `{name}` removed"),
            )),
            Some((_, new_ty)) if new_ty != ty => out.push(change(
                Impact::Breaking,
                path,
                format!(
                    "{member} `{name}` changed from {} to {}",
                    shown(ty),
                    shown(new_ty)
                ),
            )),
            Some(_) => {}
        }
    }
    for (name, ty) in new {
        if !old.iter().any(|(n, _)| n == name) {
            let (impact, why) = added(name);
            out.push(change(
                impact,
                path,
                format!(
                    "{member} `{name}` added{}{why}",
                    if ty.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", shown(ty))
                    }
                ),
            ));
        }
    }
}

/// A derived trait removed breaks users who used it; one added does not.
fn compare_derives(path: &str, old: &[String], new: &[String], out: &mut Vec<ApiChange>) {
    for d in old.iter().filter(|d| !new.contains(d)) {
        out.push(change(
            Impact::Breaking,
            path,
            format!("no longer derives {d}"),
        ));
    }
    for d in new.iter().filter(|d| !old.contains(d)) {
        out.push(change(Impact::Additive, path, format!("derives {d}")));
    }
}

/// Every public item of `source` by path under `root`, including trait implementations
/// (`<root>::types::ActorToken: impl Default`) and the public methods of inherent impls
/// (`<root>::Client::create_actor_token`).
fn public_items(root: &str, source: &str) -> Result<BTreeMap<String, Item>, syn::Error> {
    let file = syn::parse_file(source)?;
    let mut items = BTreeMap::new();
    collect(root, &file.items, &mut items);
    Ok(items)
}

fn collect(prefix: &str, items: &[syn::Item], out: &mut BTreeMap<String, Item>) {
    for item in items {
        match item {
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let fields: Vec<(String, String)> = s
                    .fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| is_pub(&f.vis))
                    .map(|(i, f)| {
                        let name = f
                            .ident
                            .as_ref()
                            .map_or_else(|| i.to_string(), |n| n.to_string());
                        (name, tokens(&f.ty))
                    })
                    .collect();
                let constructible = fields.len() == s.fields.len() && !non_exhaustive(&s.attrs);
                out.insert(
                    join(prefix, &s.ident.to_string()),
                    Item::Struct {
                        fields,
                        constructible,
                        derives: derives(&s.attrs),
                    },
                );
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let variants = e
                    .variants
                    .iter()
                    .map(|v| (v.ident.to_string(), tokens(&v.fields)))
                    .collect();
                out.insert(
                    join(prefix, &e.ident.to_string()),
                    Item::Enum {
                        variants,
                        exhaustive: !non_exhaustive(&e.attrs),
                        derives: derives(&e.attrs),
                    },
                );
            }
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                out.insert(
                    join(prefix, &f.sig.ident.to_string()),
                    Item::Function(tokens(&f.sig)),
                );
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                out.insert(
                    join(prefix, &t.ident.to_string()),
                    Item::Declaration("type alias", tokens(&t.ty)),
                );
            }
            syn::Item::Const(c) if is_pub(&c.vis) => {
                out.insert(
                    join(prefix, &c.ident.to_string()),
                    Item::Declaration("constant", tokens(&c.ty)),
                );
            }
            syn::Item::Static(s) if is_pub(&s.vis) => {
                out.insert(
                    join(prefix, &s.ident.to_string()),
                    Item::Declaration("static", tokens(&s.ty)),
                );
            }
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                let path = join(prefix, &m.ident.to_string());
                if let Some((_, items)) = &m.content {
                    collect(&path, items, out);
                }
                out.insert(path, Item::Module);
            }
            syn::Item::Impl(i) => {
                let self_ty = tokens(&i.self_ty);
                // The type's own name, without generics, is where its members are listed.
                let owner = join(prefix, self_ty.split('<').next().unwrap_or(&self_ty));
                match &i.trait_ {
                    // A trait implemented for a type of this crate is listed under that type;
                    // one for another crate's type (`From<X> for Option<Y>`) under the module.
                    Some((_, trait_path, _)) if self_ty.contains("::") => {
                        out.insert(
                            format!(
                                "{prefix}: impl {} for {}",
                                shown(&tokens(trait_path)),
                                shown(&self_ty)
                            ),
                            Item::Impl,
                        );
                    }
                    Some((_, trait_path, _)) => {
                        out.insert(
                            format!("{owner}: impl {}", shown(&tokens(trait_path))),
                            Item::Impl,
                        );
                    }
                    None => {
                        for member in &i.items {
                            if let syn::ImplItem::Fn(f) = member
                                && is_pub(&f.vis)
                            {
                                out.insert(
                                    join(&owner, &f.sig.ident.to_string()),
                                    Item::Function(tokens(&f.sig)),
                                );
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    format!("{prefix}::{name}")
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn non_exhaustive(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("non_exhaustive"))
}

/// The traits of `#[derive(..)]`, by their last path segment (`::serde::Serialize` is
/// `Serialize`).
fn derives(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = attr.parse_nested_meta(|meta| {
            if let Some(last) = meta.path.segments.last() {
                out.push(last.ident.to_string());
            }
            Ok(())
        });
    }
    out
}

/// Tokens as one string without the spaces `quote` puts between them.
fn tokens(node: &impl ToTokens) -> String {
    let text = node.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut previous: Option<char> = None;
    while let Some(c) = chars.next() {
        if c == ' ' {
            // Keep a space only between two word characters (`dyn Trait`, `&'a self`).
            let next = chars.peek().copied();
            let word =
                |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '\'');
            if word(previous) && word(next) {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// A type as a reader wants it: `Option<String>` for `::std::option::Option<::std::string::String>`.
fn shown(ty: &str) -> String {
    let mut out = ty.to_string();
    for prefix in [
        "::std::option::",
        "::std::string::",
        "::std::vec::",
        "::std::num::",
        "::std::collections::",
        "::std::borrow::",
        "::std::fmt::",
        "::std::str::",
        "::std::convert::",
        "::std::result::",
    ] {
        out = out.replace(prefix, "");
    }
    out.replace("::serde_json::", "serde_json::")
        .replace("crate::seam::", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(old: &str, new: &str) -> Vec<String> {
        compare("raw", old, new)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const TOKEN: &str = r#"
        pub mod types {
            #[derive(Clone, Debug, ::serde::Deserialize)]
            pub struct ActorToken {
                pub id: ::std::string::String,
                pub user_id: ::std::string::String,
            }
            #[derive(Clone, Debug)]
            pub enum Status { Pending, Accepted }
            impl ::std::fmt::Display for Status {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { Ok(()) }
            }
        }
        pub struct Client { baseurl: String }
        impl Client {
            pub fn new(baseurl: &str) -> Self { todo!() }
            pub async fn revoke_actor_token<'a>(&'a self, id: &'a str) -> Result<(), ()> { todo!() }
            fn private(&self) {}
        }
    "#;

    #[test]
    fn the_same_code_changes_nothing() {
        assert_eq!(report(TOKEN, TOKEN), Vec::<String>::new());
        assert_eq!(
            Verdict::of(&compare("raw", TOKEN, TOKEN).unwrap()),
            Verdict::None
        );
    }

    #[test]
    fn a_field_added_to_a_constructible_struct_breaks_and_to_a_closed_one_does_not() {
        let added = TOKEN.replace(
            "pub user_id: ::std::string::String,",
            "pub user_id: ::std::string::String,\n pub created_by: ::std::option::Option<::std::string::String>,",
        );
        assert_eq!(
            report(TOKEN, &added),
            [
                "breaking: raw::types::ActorToken: field `created_by` added (Option<String>) (the struct can be built with a literal)"
            ]
        );
        let closed = |s: &str| {
            s.replace(
                "pub struct ActorToken {",
                "#[non_exhaustive] pub struct ActorToken {",
            )
        };
        assert_eq!(
            report(&closed(TOKEN), &closed(&added)),
            ["additive: raw::types::ActorToken: field `created_by` added (Option<String>)"]
        );
    }

    #[test]
    fn removed_and_optional_fields_break() {
        let removed = TOKEN.replace("pub user_id: ::std::string::String,", "");
        assert_eq!(
            report(TOKEN, &removed),
            ["breaking: raw::types::ActorToken: field `user_id` removed"]
        );
        let optional = TOKEN.replace(
            "pub user_id: ::std::string::String,",
            "pub user_id: ::std::option::Option<::std::string::String>,",
        );
        assert_eq!(
            report(TOKEN, &optional),
            [
                "breaking: raw::types::ActorToken: field `user_id` changed from String to Option<String>"
            ]
        );
        assert_eq!(
            Verdict::of(&compare("raw", TOKEN, &optional).unwrap()),
            Verdict::Breaking
        );
    }

    #[test]
    fn a_variant_added_breaks_an_exhaustive_enum_only() {
        let added = TOKEN.replace("Pending, Accepted", "Pending, Accepted, Revoked");
        assert_eq!(
            report(TOKEN, &added),
            [
                "breaking: raw::types::Status: variant `Revoked` added (the enum is exhaustive: matches on it break)"
            ]
        );
        let open = |s: &str| s.replace("pub enum Status", "#[non_exhaustive] pub enum Status");
        assert_eq!(
            report(&open(TOKEN), &open(&added)),
            ["additive: raw::types::Status: variant `Revoked` added"]
        );
        assert_eq!(
            report(TOKEN, &open(TOKEN)),
            ["breaking: raw::types::Status: became #[non_exhaustive]"]
        );
    }

    #[test]
    fn items_methods_derives_and_trait_impls() {
        let changed = TOKEN
            .replace(
                "pub fn new(baseurl: &str)",
                "pub fn new(baseurl: &str, inner: u8)",
            )
            .replace(
                "#[derive(Clone, Debug)]\n            pub enum",
                "#[derive(Clone, Debug, PartialEq)]\n            pub enum",
            )
            .replace(
                "#[derive(Clone, Debug, ::serde::Deserialize)]",
                "#[derive(Debug, ::serde::Deserialize)]",
            )
            .replace("impl ::std::fmt::Display for Status", "impl Status")
            .replace(
                "fn private(&self) {}",
                "pub async fn create_actor_token<'a>(&'a self) -> Result<(), ()> { todo!() }",
            );
        assert_eq!(
            report(TOKEN, &changed),
            [
                "breaking: raw::Client::new: signature changed from `fn new(baseurl:&str)->Self` to `fn new(baseurl:&str,inner:u8)->Self`",
                "breaking: raw::types::ActorToken: no longer derives Clone",
                "breaking: raw::types::Status: impl Display: trait implementation removed",
                "additive: raw::Client::create_actor_token: function added",
                "additive: raw::types::Status: derives PartialEq",
            ]
        );
    }

    #[test]
    fn the_members_of_a_type_added_or_removed_go_with_it() {
        let with_session = format!(
            "{TOKEN}\npub struct Session {{ pub id: String }}\nimpl Session {{ pub fn new() -> Self {{ todo!() }} }}\nimpl ::std::fmt::Display for Session {{ fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{ Ok(()) }} }}"
        );
        assert_eq!(
            report(TOKEN, &with_session),
            ["additive: raw::Session: struct added"]
        );
        assert_eq!(
            report(&with_session, TOKEN),
            ["breaking: raw::Session: struct removed"]
        );
    }

    #[test]
    fn code_that_does_not_parse_is_an_error() {
        let e = compare("raw", TOKEN, "pub struct {").unwrap_err();
        assert!(e.contains("the new code does not parse"), "{e}");
    }
}
