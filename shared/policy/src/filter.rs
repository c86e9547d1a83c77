//! Filter operators: compiled from a leaf `{field, op, value}` once, then tested against every activity
//! without allocating.
//!
//! Text comparisons (`equals`, `in`, `prefix`, `suffix`, `contains`) ignore case, for every field: actions,
//! emails, domains, names and raw values alike (patterns are lower-cased once, activity text is compared
//! character by character, with a byte fast path for ASCII). `regex` is the exception: it matches exactly
//! as written; put `(?i)` in front to ignore case. A list-valued field (`ip.tags`, a raw list) matches when
//! any element matches. A missing field (or an empty text) matches nothing except `exists: false`.
//!
//! Set operators (`contains_any`, `contains_all`, `subset_of`, `any_not_in`, `not_in`) treat the field as
//! a set of texts (a list's elements, or the one value) and compare elements ignoring case. Their value,
//! and that of `equals` and the numeric comparisons, may be another field: `value: {field: raw.x}`.

use std::fmt::{self, Write as _};
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use regex::Regex;
use saaswarden_core::activity::Activity;
use serde_json::Value;

use crate::error::{ErrorKind, did_you_mean};
use crate::fields::{Field, FieldKind, FieldValue, unknown_field};
use crate::groups::{GroupSet, Groups};
use crate::model::LeafModel;
use crate::parse::{Decoder, Node, NodeValue, join};

pub(crate) const OPERATORS: &[&str] = &[
    "equals",
    "in",
    "prefix",
    "suffix",
    "contains",
    "regex",
    "cidr",
    "exists",
    "gt",
    "gte",
    "lt",
    "lte",
    "not_in",
    "contains_any",
    "contains_all",
    "subset_of",
    "any_not_in",
];

/// The operators whose value may be another field (`value: {field: …}`).
const FIELD_OPERATORS: &[&str] =
    &["equals", "gt", "gte", "lt", "lte", "not_in", "contains_any", "contains_all", "subset_of", "any_not_in"];

/// A compiled filter.
#[derive(Debug)]
pub(crate) enum Matcher {
    All(Box<[Matcher]>),
    Any(Box<[Matcher]>),
    Not(Box<Matcher>),
    Leaf(Leaf),
}

#[derive(Debug)]
pub(crate) struct Leaf {
    field: Field,
    test: Test,
}

#[derive(Debug)]
enum Test {
    Equals(Pattern),
    In(Box<[Pattern]>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    Regex(Regex),
    Cidr(Box<[IpNet]>),
    IpIn(Box<[IpAddr]>),
    Exists(bool),
    Compare(Cmp, f64),
    /// Member of any of these groups.
    Member(Box<[Arc<GroupSet>]>),
    /// A set operator against listed values or another field.
    Set(SetOp, Operand),
    /// Equal, ignoring case, to another field's value (any element of either, for lists).
    FieldEquals(Field),
    /// Numerically compared with another field's value.
    FieldCompare(Cmp, Field),
}

#[derive(Debug, Clone, Copy)]
enum SetOp {
    /// Some element is among the values.
    ContainsAny,
    /// Every value is an element.
    ContainsAll,
    /// Every element is among the values.
    SubsetOf,
    /// Some element is not among the values (the set difference is not empty).
    AnyNotIn,
    /// No element is among the values.
    NotIn,
}

/// What a set operator compares with.
#[derive(Debug)]
enum Operand {
    /// Listed in the policy, lower-cased.
    Values(Box<[Box<str>]>),
    Field(Field),
}

/// A value to compare with, in every form a field's value may take.
#[derive(Debug)]
struct Pattern {
    /// Lower-cased.
    text: Box<str>,
    number: Option<f64>,
    boolean: Option<bool>,
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Cmp {
    fn holds(self, x: f64, bound: f64) -> bool {
        match self {
            Cmp::Gt => x > bound,
            Cmp::Gte => x >= bound,
            Cmp::Lt => x < bound,
            Cmp::Lte => x <= bound,
        }
    }
}

impl Matcher {
    pub fn matches(&self, activity: &Activity) -> bool {
        match self {
            Matcher::All(children) => children.iter().all(|m| m.matches(activity)),
            Matcher::Any(children) => children.iter().any(|m| m.matches(activity)),
            Matcher::Not(inner) => !inner.matches(activity),
            Matcher::Leaf(leaf) => leaf.matches(activity),
        }
    }

    /// Rough cost, so `all` and `any` can test cheap, selective leaves (app, action) before regexes and
    /// raw paths. Reordering is safe: tests have no side effects.
    fn cost(&self) -> u32 {
        match self {
            Matcher::Leaf(leaf) => leaf.field.cost() + leaf.test.cost(),
            Matcher::Not(inner) => inner.cost(),
            Matcher::All(children) | Matcher::Any(children) => {
                4 + children.iter().map(Matcher::cost).min().unwrap_or(0)
            }
        }
    }

    pub fn all(mut children: Vec<Matcher>) -> Matcher {
        children.sort_by_key(Matcher::cost);
        Matcher::All(children.into())
    }

    pub fn any(mut children: Vec<Matcher>) -> Matcher {
        children.sort_by_key(Matcher::cost);
        Matcher::Any(children.into())
    }
}

impl Leaf {
    /// The exact (lower-cased) actions this leaf requires one of, if it is an `action` `equals` / `in`.
    /// Whether the leaf tests a field that [`crate::index`]'s activity shapes fix.
    pub fn is_shape_field(&self) -> bool {
        // A comparison with another field depends on that field too.
        let other_field =
            matches!(self.test, Test::FieldEquals(_) | Test::FieldCompare(..) | Test::Set(_, Operand::Field(_)));
        !other_field
            && matches!(
                self.field,
                Field::App
                    | Field::Action
                    | Field::Category
                    | Field::Outcome
                    | Field::Administrative
                    | Field::Impersonated
                    | Field::TargetKind
            )
    }

    pub fn matches(&self, activity: &Activity) -> bool {
        let value = self.field.value(activity);
        match &self.test {
            Test::Set(op, operand) => set_holds(*op, value, operand, activity),
            Test::FieldEquals(other) => {
                let other = other.value(activity);
                present(value) && present(other) && any_element(value, |a| any_element(other, |b| eq_both_fold(a, b)))
            }
            Test::FieldCompare(cmp, other) => {
                number(value).zip(number(other.value(activity))).is_some_and(|(x, bound)| cmp.holds(x, bound))
            }
            test => test.value(value),
        }
    }
}

fn set_holds(op: SetOp, value: FieldValue<'_>, operand: &Operand, activity: &Activity) -> bool {
    if !present(value) {
        return false;
    }
    let among = |element: &str| match operand {
        Operand::Values(values) => values.iter().any(|v| eq_fold(element, v)),
        Operand::Field(other) => any_element(other.value(activity), |o| eq_both_fold(element, o)),
    };
    match op {
        SetOp::ContainsAny => any_element(value, among),
        SetOp::SubsetOf => !any_element(value, |e| !among(e)),
        SetOp::AnyNotIn => any_element(value, |e| !among(e)),
        SetOp::NotIn => !any_element(value, among),
        SetOp::ContainsAll => match operand {
            Operand::Values(values) => values.iter().all(|v| any_element(value, |e| eq_fold(e, v))),
            Operand::Field(other) => {
                let other = other.value(activity);
                present(other) && !any_element(other, |o| !any_element(value, |e| eq_both_fold(e, o)))
            }
        },
    }
}

/// Whether `f` holds for some element of the value read as a set of texts: a list's elements, or the one
/// value. Numbers and addresses are formatted on the stack; objects and nulls are no elements.
fn any_element(value: FieldValue<'_>, mut f: impl FnMut(&str) -> bool) -> bool {
    match value {
        FieldValue::Absent => false,
        FieldValue::Str(s) => f(s),
        FieldValue::Tags(tags) => tags.iter().any(|t| f(t)),
        FieldValue::Bool(b) => f(if b { "true" } else { "false" }),
        FieldValue::Ip(ip) => StackText::format(format_args!("{ip}")).is_some_and(|t| f(t.as_str())),
        FieldValue::Json(Value::Array(items)) => items.iter().any(|item| json_element(item, &mut f)),
        FieldValue::Json(json) => json_element(json, &mut f),
    }
}

fn json_element(json: &Value, f: &mut impl FnMut(&str) -> bool) -> bool {
    match json {
        Value::String(s) => f(s),
        Value::Bool(b) => f(if *b { "true" } else { "false" }),
        Value::Number(n) => StackText::format(format_args!("{n}")).is_some_and(|t| f(t.as_str())),
        Value::Null | Value::Array(_) | Value::Object(_) => false,
    }
}

/// The value as one number: a number, or text that reads as one.
fn number(value: FieldValue<'_>) -> Option<f64> {
    match value {
        FieldValue::Str(s) => s.trim().parse().ok(),
        FieldValue::Json(Value::String(s)) => s.trim().parse().ok(),
        FieldValue::Json(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
}

/// Two texts equal ignoring case, neither lower-cased beforehand.
fn eq_both_fold(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() { a.eq_ignore_ascii_case(b) } else { lower_chars(a).eq(lower_chars(b)) }
}

impl Test {
    fn cost(&self) -> u32 {
        match self {
            Test::Exists(_) | Test::Equals(_) | Test::IpIn(_) | Test::Cidr(_) | Test::Compare(..) => 0,
            Test::Prefix(_) | Test::Suffix(_) => 1,
            Test::In(values) => 1 + u32::try_from(values.len() / 8).unwrap_or(u32::MAX / 2),
            Test::Contains(_) | Test::Member(_) => 2,
            Test::Regex(_) | Test::Set(..) | Test::FieldEquals(_) | Test::FieldCompare(..) => 4,
        }
    }

    fn value(&self, value: FieldValue<'_>) -> bool {
        if let Test::Exists(wanted) = self {
            return present(value) == *wanted;
        }
        match value {
            FieldValue::Absent => false,
            // An empty text is no value, as for `exists`.
            FieldValue::Str("") | FieldValue::Json(Value::String(_)) if !present(value) => false,
            FieldValue::Str(s) => self.text(s),
            FieldValue::Tags(tags) => tags.iter().any(|t| self.text(t)),
            FieldValue::Bool(b) => self.boolean(b),
            FieldValue::Ip(ip) => self.ip(ip),
            FieldValue::Json(json) => self.json(json),
        }
    }

    fn text(&self, s: &str) -> bool {
        match self {
            Test::Equals(p) => eq_fold(s, &p.text),
            Test::In(patterns) => patterns.iter().any(|p| eq_fold(s, &p.text)),
            Test::Prefix(p) => starts_with_fold(s, p),
            Test::Suffix(p) => ends_with_fold(s, p),
            Test::Contains(p) => contains_fold(s, p),
            Test::Regex(r) => r.is_match(s),
            Test::Compare(cmp, bound) => s.trim().parse::<f64>().is_ok_and(|x| cmp.holds(x, *bound)),
            Test::Cidr(nets) => s.trim().parse::<IpAddr>().is_ok_and(|ip| nets.iter().any(|n| n.contains(&ip))),
            Test::IpIn(ips) => s.trim().parse::<IpAddr>().is_ok_and(|ip| ips.contains(&ip)),
            Test::Member(groups) => groups.iter().any(|g| g.contains(s)),
            // Decided in `Leaf::matches`, which has the other field.
            Test::Exists(_) | Test::Set(..) | Test::FieldEquals(_) | Test::FieldCompare(..) => false,
        }
    }

    fn boolean(&self, b: bool) -> bool {
        match self {
            Test::Equals(p) => p.boolean == Some(b),
            Test::In(patterns) => patterns.iter().any(|p| p.boolean == Some(b)),
            _ => false,
        }
    }

    fn ip(&self, ip: IpAddr) -> bool {
        match self {
            Test::IpIn(ips) => ips.contains(&ip),
            Test::Cidr(nets) => nets.iter().any(|n| n.contains(&ip)),
            Test::Prefix(_) | Test::Suffix(_) | Test::Contains(_) | Test::Regex(_) => {
                StackText::format(format_args!("{ip}")).is_some_and(|t| self.text(t.as_str()))
            }
            _ => false,
        }
    }

    fn json(&self, json: &Value) -> bool {
        match json {
            Value::String(s) => self.text(s),
            Value::Bool(b) => self.boolean(*b),
            Value::Number(n) => {
                let x = n.as_f64();
                match self {
                    Test::Equals(p) => x.is_some() && p.number == x,
                    Test::In(patterns) => x.is_some() && patterns.iter().any(|p| p.number == x),
                    Test::Compare(cmp, bound) => x.is_some_and(|x| cmp.holds(x, *bound)),
                    Test::Prefix(_) | Test::Suffix(_) | Test::Contains(_) | Test::Regex(_) => {
                        StackText::format(format_args!("{n}")).is_some_and(|t| self.text(t.as_str()))
                    }
                    _ => false,
                }
            }
            Value::Array(items) => items.iter().any(|item| self.json(item)),
            Value::Null | Value::Object(_) => false,
        }
    }
}

/// Whether a field has a value: an empty text, list or null counts as absent.
fn present(value: FieldValue<'_>) -> bool {
    match value {
        FieldValue::Absent => false,
        FieldValue::Str(s) => !s.is_empty(),
        FieldValue::Tags(tags) => !tags.is_empty(),
        FieldValue::Json(Value::String(s)) => !s.is_empty(),
        FieldValue::Json(Value::Array(items)) => !items.is_empty(),
        FieldValue::Json(Value::Null) => false,
        FieldValue::Bool(_) | FieldValue::Ip(_) | FieldValue::Json(_) => true,
    }
}

/// Lower-cases a pattern once, at compile time, the same way activity text is lower-cased when compared.
pub(crate) fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

fn lower_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// `s` equals the already lower-cased `lower`, ignoring case.
pub(crate) fn eq_fold(s: &str, lower: &str) -> bool {
    if s.is_ascii() {
        s.len() == lower.len() && s.as_bytes().eq_ignore_ascii_case(lower.as_bytes())
    } else {
        lower_chars(s).eq(lower.chars())
    }
}

fn starts_with_fold(s: &str, lower: &str) -> bool {
    if s.is_ascii() {
        s.len() >= lower.len() && s.as_bytes()[..lower.len()].eq_ignore_ascii_case(lower.as_bytes())
    } else {
        let mut chars = lower_chars(s);
        lower.chars().all(|c| chars.next() == Some(c))
    }
}

fn ends_with_fold(s: &str, lower: &str) -> bool {
    if s.is_ascii() {
        s.len() >= lower.len() && s.as_bytes()[s.len() - lower.len()..].eq_ignore_ascii_case(lower.as_bytes())
    } else {
        let mut chars = s.chars().rev().flat_map(|c| c.to_lowercase().rev());
        lower.chars().rev().all(|c| chars.next() == Some(c))
    }
}

fn contains_fold(s: &str, lower: &str) -> bool {
    if lower.is_empty() {
        return true;
    }
    if s.is_ascii() {
        let needle = lower.as_bytes();
        s.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
    } else {
        s.char_indices().any(|(i, _)| starts_with_fold(&s[i..], lower))
    }
}

/// Formats a number or an IP address on the stack, so string operators apply to them without allocating.
struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl StackText {
    fn format(args: fmt::Arguments<'_>) -> Option<StackText> {
        let mut text = StackText { buf: [0; 64], len: 0 };
        text.write_fmt(args).ok()?;
        Some(text)
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever written, so the bytes are valid UTF-8.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

const SET_OPERATORS: &[&str] = &["not_in", "contains_any", "contains_all", "subset_of", "any_not_in"];

/// Which operators a kind of field accepts.
fn applies(op: &str, kind: FieldKind) -> bool {
    match kind {
        FieldKind::Bool => op == "equals",
        FieldKind::Group => matches!(op, "equals" | "in"),
        FieldKind::Ip if SET_OPERATORS.contains(&op) => true,
        FieldKind::Ip => matches!(op, "equals" | "in" | "prefix" | "suffix" | "contains" | "regex" | "cidr" | "exists"),
        FieldKind::Raw => true,
        FieldKind::Text | FieldKind::Word(_) | FieldKind::TextList => op != "cidr",
    }
}

fn operators_for(kind: FieldKind) -> String {
    OPERATORS.iter().copied().filter(|op| applies(op, kind)).collect::<Vec<_>>().join(", ")
}

/// Compiles one leaf, reporting every problem with its value.
pub(crate) fn compile_leaf(d: &mut Decoder<'_>, leaf: &LeafModel, groups: &Groups) -> Option<Matcher> {
    let field_path = join(&leaf.path, "field");
    let op_path = join(&leaf.path, "op");
    let value_path = join(&leaf.path, "value");
    let field = Field::parse(&leaf.field.value);
    if field.is_none() {
        d.error(leaf.field.line, &field_path, ErrorKind::UnknownFieldPath, unknown_field(&leaf.field.value));
    }
    let op = leaf.op.value.as_str();
    if !OPERATORS.contains(&op) {
        d.error(
            leaf.op.line,
            &op_path,
            ErrorKind::UnknownOperator,
            format!(
                "unknown operator `{op}`{} (expected one of {})",
                did_you_mean(op, OPERATORS.iter().copied()),
                OPERATORS.join(", ")
            ),
        );
        return None;
    }
    let field = field?;
    let kind = field.kind();
    if !applies(op, kind) {
        d.error(
            leaf.op.line,
            &op_path,
            ErrorKind::InvalidValue,
            format!("operator `{op}` does not apply to `{}` (use one of {})", leaf.field.value, operators_for(kind)),
        );
        return None;
    }
    let default_exists = Node { line: leaf.op.line, value: NodeValue::Bool(true) };
    let value = leaf.value.as_ref().unwrap_or(&default_exists);
    let mut v = ValueChecker { d, path: &value_path, kind, field_name: &leaf.field.value };
    if let Some(other) = field_reference(value) {
        if !FIELD_OPERATORS.contains(&op) {
            return v.invalid(
                value,
                ErrorKind::WrongType,
                format!(
                    "`{op}` takes a literal value; another field (`{{field: …}}`) is the value of {} only",
                    FIELD_OPERATORS.join(", ")
                ),
            );
        }
        let other = v.other_field(other)?;
        let test = match op {
            "equals" => Test::FieldEquals(other),
            "gt" | "gte" | "lt" | "lte" => Test::FieldCompare(cmp_of(op), other),
            _ => Test::Set(set_op(op), Operand::Field(other)),
        };
        return Some(Matcher::Leaf(Leaf { field, test }));
    }
    if SET_OPERATORS.contains(&op) {
        let items = match &value.value {
            NodeValue::Seq(items) if !items.is_empty() => items.as_slice(),
            NodeValue::Seq(_) => {
                return v.invalid(value, ErrorKind::InvalidValue, format!("`{op}` needs at least one value"));
            }
            _ => std::slice::from_ref(value),
        };
        let values = v.each(items, ValueChecker::element)?;
        return Some(Matcher::Leaf(Leaf { field, test: Test::Set(set_op(op), Operand::Values(values.into())) }));
    }
    let test = match op {
        "equals" => match kind {
            FieldKind::Group => Test::Member(Box::new([v.group(value, groups)?])),
            FieldKind::Ip => Test::IpIn(Box::new([v.ip(value)?])),
            _ => Test::Equals(v.pattern(value)?),
        },
        "in" => {
            let items = v.non_empty_list(value)?;
            match kind {
                FieldKind::Group => Test::Member(v.each(items, |v, item| v.group(item, groups))?.into()),
                FieldKind::Ip => Test::IpIn(v.each(items, ValueChecker::ip)?.into()),
                _ => Test::In(v.each(items, ValueChecker::pattern)?.into()),
            }
        }
        "prefix" => Test::Prefix(v.text(value)?.into()),
        "suffix" => Test::Suffix(v.text(value)?.into()),
        "contains" => Test::Contains(v.text(value)?.into()),
        "regex" => Test::Regex(v.regex(value)?),
        "cidr" => match &value.value {
            NodeValue::Seq(items) if !items.is_empty() => Test::Cidr(v.each(items, ValueChecker::cidr)?.into()),
            _ => Test::Cidr(Box::new([v.cidr(value)?])),
        },
        "exists" => match value.value {
            NodeValue::Bool(b) => Test::Exists(b),
            _ => return v.wrong_type(value, "true or false"),
        },
        _ => {
            let cmp = cmp_of(op);
            match value.value {
                NodeValue::Int(i) => Test::Compare(cmp, i as f64),
                NodeValue::Float(f) if f.is_finite() => Test::Compare(cmp, f),
                _ => return v.wrong_type(value, "a number"),
            }
        }
    };
    Some(Matcher::Leaf(Leaf { field, test }))
}

fn cmp_of(op: &str) -> Cmp {
    match op {
        "gt" => Cmp::Gt,
        "gte" => Cmp::Gte,
        "lt" => Cmp::Lt,
        _ => Cmp::Lte,
    }
}

fn set_op(op: &str) -> SetOp {
    match op {
        "contains_any" => SetOp::ContainsAny,
        "contains_all" => SetOp::ContainsAll,
        "subset_of" => SetOp::SubsetOf,
        "any_not_in" => SetOp::AnyNotIn,
        _ => SetOp::NotIn,
    }
}

/// Compiles a policy's regex; the error names the problem the way an author can fix it.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        // The last line of the regex crate's message names the problem (`error: unclosed group`); look-around
        // is the one feature authors coming from other engines miss, so say so.
        let message = e.to_string();
        let last = message.lines().last().unwrap_or_default().trim();
        let detail = last.strip_prefix("error:").unwrap_or(last).trim().to_string();
        let hint = if detail.contains("look-around") {
            " (look-ahead and look-behind are not supported: match the part you want and exclude the rest with \
             a `not:` filter)"
        } else {
            ""
        };
        format!("invalid regex `{pattern}`: {detail}{hint}")
    })
}

/// `{field: path}` as a value: the node naming another field, if that is what it is.
fn field_reference(node: &Node) -> Option<&Node> {
    match &node.value {
        NodeValue::Map(entries) if entries.len() == 1 && entries[0].0.name == "field" => Some(&entries[0].1),
        _ => None,
    }
}

/// Checks a leaf's value against what its operator and field need.
struct ValueChecker<'d, 'a> {
    d: &'d mut Decoder<'a>,
    path: &'d str,
    kind: FieldKind,
    field_name: &'d str,
}

impl ValueChecker<'_, '_> {
    fn wrong_type<T>(&mut self, node: &Node, expected: &str) -> Option<T> {
        self.d.error(
            node.line,
            self.path,
            ErrorKind::WrongType,
            format!("expected {expected}, got {}", node.type_name()),
        );
        None
    }

    fn invalid<T>(&mut self, node: &Node, kind: ErrorKind, message: String) -> Option<T> {
        self.d.error(node.line, self.path, kind, message);
        None
    }

    fn non_empty_list<'n>(&mut self, node: &'n Node) -> Option<&'n [Node]> {
        match &node.value {
            NodeValue::Seq(items) if !items.is_empty() => Some(items),
            NodeValue::Seq(_) => self.invalid(node, ErrorKind::InvalidValue, "`in` needs at least one value".into()),
            _ => self.wrong_type(node, "a list of values for `in`"),
        }
    }

    /// Checks every element (reporting each bad one), then keeps them all or none.
    fn each<T>(&mut self, items: &[Node], mut check: impl FnMut(&mut Self, &Node) -> Option<T>) -> Option<Vec<T>> {
        let checked: Vec<Option<T>> = items.iter().map(|item| check(self, item)).collect();
        checked.into_iter().collect()
    }

    fn pattern(&mut self, node: &Node) -> Option<Pattern> {
        let (text, number, boolean) = match &node.value {
            NodeValue::Str(s) => (s.clone(), s.trim().parse::<f64>().ok(), s.trim().parse::<bool>().ok()),
            NodeValue::Int(i) => (i.to_string(), Some(*i as f64), None),
            NodeValue::Float(f) => (f.to_string(), Some(*f), None),
            NodeValue::Bool(b) => (b.to_string(), None, Some(*b)),
            _ => return self.wrong_type(node, "a single value (text, number or boolean)"),
        };
        match self.kind {
            FieldKind::Bool if boolean.is_none() || !matches!(node.value, NodeValue::Bool(_)) => {
                return self.wrong_type(node, "true or false");
            }
            FieldKind::Word(words) if !words.iter().any(|w| w.eq_ignore_ascii_case(&text)) => {
                return self.invalid(
                    node,
                    ErrorKind::InvalidValue,
                    format!(
                        "`{text}` is not a value of `{}`{} (expected one of {})",
                        self.field_name,
                        did_you_mean(&text, words.iter().copied()),
                        words.join(", ")
                    ),
                );
            }
            _ => {}
        }
        Some(Pattern { text: fold(&text).into(), number, boolean })
    }

    /// An element of a set operator's list: text, a number or a boolean, lower-cased.
    fn element(&mut self, node: &Node) -> Option<Box<str>> {
        match &node.value {
            NodeValue::Str(s) => Some(fold(s).into()),
            NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_) => Some(node.to_json().to_string().into()),
            _ => self.wrong_type(node, "a list of values (text, numbers or booleans)"),
        }
    }

    /// The field a `{field: …}` value names.
    fn other_field(&mut self, node: &Node) -> Option<Field> {
        let NodeValue::Str(path) = &node.value else {
            return self.wrong_type(node, "an activity field path");
        };
        match Field::parse(path) {
            Some(Field::ActorGroup) | None => self.invalid(node, ErrorKind::UnknownFieldPath, unknown_field(path)),
            Some(field) => Some(field),
        }
    }

    fn text(&mut self, node: &Node) -> Option<String> {
        match &node.value {
            NodeValue::Str(s) => Some(fold(s)),
            NodeValue::Int(i) => Some(i.to_string()),
            _ => self.wrong_type(node, "text"),
        }
    }

    fn regex(&mut self, node: &Node) -> Option<Regex> {
        let NodeValue::Str(s) = &node.value else {
            return self.wrong_type(node, "a regular expression (text)");
        };
        match compile_regex(s) {
            Ok(r) => Some(r),
            Err(message) => self.invalid(node, ErrorKind::BadRegex, message),
        }
    }

    fn cidr(&mut self, node: &Node) -> Option<IpNet> {
        let NodeValue::Str(s) = &node.value else {
            return self.wrong_type(node, "a CIDR range like 10.0.0.0/8 (or a list of them)");
        };
        let s = s.trim();
        match s.parse::<IpNet>() {
            Ok(net) => Some(net),
            // A bare address is the range holding only itself.
            Err(_) => match s.parse::<IpAddr>() {
                Ok(ip) => Some(IpNet::from(ip)),
                Err(_) => self.invalid(
                    node,
                    ErrorKind::BadCidr,
                    format!("`{s}` is not a CIDR range (write e.g. 10.0.0.0/8 or 2001:db8::/32)"),
                ),
            },
        }
    }

    fn ip(&mut self, node: &Node) -> Option<IpAddr> {
        let NodeValue::Str(s) = &node.value else {
            return self.wrong_type(node, "an IP address");
        };
        match s.trim().parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => self.invalid(
                node,
                ErrorKind::InvalidValue,
                format!("`{s}` is not an IP address (use `op: cidr` for a range)"),
            ),
        }
    }

    fn group(&mut self, node: &Node, groups: &Groups) -> Option<Arc<GroupSet>> {
        let NodeValue::Str(name) = &node.value else {
            return self.wrong_type(node, "a group name");
        };
        match groups.get(name) {
            Some(set) => Some(Arc::clone(set)),
            None => {
                let known: Vec<&str> = groups.names().collect();
                let known_text = if known.is_empty() {
                    "none are configured".to_string()
                } else {
                    format!("configured: {}", known.join(", "))
                };
                self.invalid(
                    node,
                    ErrorKind::UnknownGroup,
                    format!("unknown user group `{name}`{} ({known_text})", did_you_mean(name, known.iter().copied())),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_comparisons_ignore_case_in_ascii_and_unicode() {
        #[rustfmt::skip]
        type Compare = fn(&str, &str) -> bool;
        let cases: [(&str, Compare, &str, &str, bool); 14] = [
            ("eq", eq_fold, "Role_Change_To_Admin", "role_change_to_admin", true),
            ("eq", eq_fold, "role_change_to_admi", "role_change_to_admin", false),
            ("eq", eq_fold, "ÉLODIE@acme.example", "élodie@acme.example", true),
            ("prefix", starts_with_fold, "PREF.sso_setting", "pref.", true),
            ("prefix", starts_with_fold, "pre", "pref.", false),
            ("prefix", starts_with_fold, "ÜBER.x", "über", true),
            ("suffix", ends_with_fold, "bob@Acme.Example", "@acme.example", true),
            ("suffix", ends_with_fold, "x@acme.example.evil", "@acme.example", false),
            ("suffix", ends_with_fold, "a@MÜNCHEN.de", "münchen.de", true),
            ("contains", contains_fold, "Role changed from End User to ADMINISTRATOR", "to administrator", true),
            ("contains", contains_fold, "Turned off", "on", false),
            ("contains", contains_fold, "Ärger ÜBERALL", "überall", true),
            ("contains", contains_fold, "anything", "", true),
            ("contains", contains_fold, "ab", "abc", false),
        ];
        for (name, f, s, pattern, expected) in cases {
            assert_eq!(f(s, pattern), expected, "{name}({s:?}, {pattern:?})");
        }
    }

    #[test]
    fn stack_text_refuses_what_does_not_fit() {
        assert_eq!(StackText::format(format_args!("{}", 12.5)).map(|t| t.as_str().to_string()), Some("12.5".into()));
        assert!(StackText::format(format_args!("{}", "x".repeat(65))).is_none());
    }
}
