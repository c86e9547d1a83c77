//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. Written by hand next to the
//! routes; `every_route_is_documented` (tests) keeps the two in step.

use serde_json::{Value, json};

fn query(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description })
}

fn path(name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } })
}

fn answer(description: &str) -> Value {
    json!({
        "200": { "description": description, "content": { "application/json": {} } },
        "400": { "$ref": "#/components/responses/Error" },
        "401": { "$ref": "#/components/responses/Error" },
        "403": { "$ref": "#/components/responses/Error" },
        "404": { "$ref": "#/components/responses/Error" },
        "409": { "$ref": "#/components/responses/Error" }
    })
}

fn step(summary: &str, role: &str) -> Value {
    json!({ "post": {
        "summary": summary,
        "description": format!("Needs the {role} role. Recorded in the alert's history under the caller's name."),
        "parameters": [path("id")],
        "requestBody": { "required": false, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Step" } } } },
        "responses": answer("The alert after the step")
    } })
}

/// The document.
pub fn document() -> Value {
    let page =
        [query("cursor", "The `next_cursor` of the previous page"), query("limit", "Page size, 1 to 500 (default 50)")];
    let alert_filters = [
        query("status", "open, resolved or dismissed"),
        query("severity", "The lowest severity: informational, low, medium, high, critical"),
        query("policy", "A detection or policy id"),
        query("user", "The alert's user (email)"),
        query("campaign", "A campaign id (cp-…): the alerts of one source against many users"),
        query("app", "slack or zendesk"),
        query("since", "RFC 3339 time: created at or after"),
        query("until", "RFC 3339 time: created at or before"),
    ];
    let activity_filters = [
        query("user", "An email (case-insensitive) or an app's user id"),
        query("ip", "An IP address"),
        query("country", "ISO 3166-1 alpha-2 code"),
        query("app", "slack or zendesk"),
        query("action", "The app's action name"),
        query("outcome", "success, failure or unknown"),
        query("since", "RFC 3339 time, inclusive"),
        query("until", "RFC 3339 time, inclusive"),
    ];
    let with = |a: &[Value], b: &[Value]| Value::Array(a.iter().chain(b).cloned().collect());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "saaswarden API",
            "version": "1",
            "description": "Alerts, the audit trail, users, governance, policies and sources of saaswarden. \
                Locally (`saaswarden serve`) send the printed token as `Authorization: Bearer …`; in AWS an Entra ID \
                access token whose roles claim holds reader, analyst or responder (each includes the ones before)."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": { "Error": { "description": "What went wrong", "content": { "application/json": {
                "schema": { "type": "object", "properties": { "error": { "type": "string" } }, "required": ["error"] } } } } },
            "schemas": {
                "Step": { "type": "object", "properties": {
                    "verdict": { "type": "string", "enum": ["true-positive", "benign", "false-positive"] },
                    "comment": { "type": "string" } } },
                "Bulk": { "type": "object", "required": ["ids", "action"], "properties": {
                    "ids": { "type": "array", "items": { "type": "string" }, "maxItems": 500 },
                    "action": { "type": "string", "enum": ["resolve", "dismiss"] },
                    "verdict": { "type": "string", "enum": ["true-positive", "benign", "false-positive"] },
                    "comment": { "type": "string" } } },
                "Approve": { "type": "object", "required": ["alert_id", "action"], "properties": {
                    "alert_id": { "type": "string" },
                    "action": { "type": "string", "enum": ["notify-user", "require-sign-in", "suspend-user"] } } }
            }
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/me": { "get": { "summary": "The caller and their role", "responses": answer("The caller") } },
            "/api/v1/alerts": { "get": {
                "summary": "The alert queue, newest first",
                "parameters": with(&alert_filters, &page),
                "responses": answer("`alerts` and, unless this is the last page, `next_cursor`") } },
            "/api/v1/alerts/bulk": { "post": {
                "summary": "Resolve or dismiss a selection (analyst)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Bulk" } } } },
                "responses": answer("`done` ids and `failed` ones with their error") } },
            "/api/v1/campaigns": { "get": {
                "summary": "Campaigns: one source (an IPv4 address, an IPv6 /64) against at least two users, latest first",
                "parameters": [query("status", "Only alerts of this status: open, resolved or dismissed")],
                "responses": answer("`campaigns` (id, users, policies, alerts, open_alerts, severity, first_at, last_at) and `partial`") } },
            "/api/v1/alerts/{id}": { "get": {
                "summary": "One alert with its history, cited activities and governance",
                "parameters": [path("id")], "responses": answer("`alert`, `history`, `activities`, `governance`") } },
            "/api/v1/alerts/{id}/resolve": step("Resolve with a verdict", "analyst"),
            "/api/v1/alerts/{id}/dismiss": step("Dismiss", "analyst"),
            "/api/v1/alerts/{id}/reopen": step("Reopen", "analyst"),
            "/api/v1/alerts/{id}/comments": step("Comment (comment required)", "analyst"),
            "/api/v1/activities": { "get": {
                "summary": "Search the audit trail, oldest first",
                "parameters": with(&activity_filters, &page),
                "responses": answer("`activities` and, unless this is the last page, `next_cursor`") } },
            "/api/v1/activities/export": { "get": {
                "summary": "Every match, streamed (no size cap but the time range)",
                "parameters": with(&activity_filters, &[json!({ "name": "format", "in": "query", "required": true,
                    "schema": { "type": "string", "enum": ["csv", "jsonl"] } })]),
                "responses": { "200": { "description": "CSV or JSON Lines", "content": { "text/csv": {}, "application/x-ndjson": {} } } } } },
            "/api/v1/users/{user}": { "get": {
                "summary": "One user: baselines, places, recent activity, alerts, governance, termination",
                "parameters": [path("user")], "responses": answer("The user page") } },
            "/api/v1/governance": { "get": {
                "summary": "The governance log, newest first",
                "parameters": [query("alert", "Only this alert's actions"), query("limit", "At most this many (default 200)")],
                "responses": answer("`dry_run` and `entries`") } },
            "/api/v1/governance/approve": { "post": {
                "summary": "Approve (run) an action on an alert's user (responder); the safety rails apply",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Approve" } } } },
                "responses": answer("The governance entry") } },
            "/api/v1/governance/{id}/retry": { "post": {
                "summary": "Run a failed action again (responder)", "parameters": [path("id")], "responses": answer("The entry") } },
            "/api/v1/governance/{id}/revert": { "post": {
                "summary": "Undo a suspension (responder)", "parameters": [path("id")], "responses": answer("The entry") } },
            "/api/v1/policies": { "get": { "summary": "Detections and custom policies with their alert counts", "responses": answer("Policies") } },
            "/api/v1/sources": { "get": { "summary": "Each collector stream's checkpoint, lag and last error (until a run succeeds)", "responses": answer("Streams") } },
            "/api/v1/openapi.json": { "get": { "summary": "This document", "responses": { "200": { "description": "OpenAPI 3.1" } } } }
        }
    })
}
