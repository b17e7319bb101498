//! The OpenAPI 3 document of `/api/v1`, and the page for people made from
//! it. One description: the test command runs a property-based tester
//! (schemathesis) against the running server with this document, so an
//! answer the document does not describe fails the build.
use serde_json::{Value, json};

fn page_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items", "next_cursor"],
        "additionalProperties": false,
        "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } },
            "next_cursor": {
                "type": "string",
                "nullable": true,
                "description": "Pass as `cursor` for the next page; null on the last page."
            }
        }
    })
}

fn list(summary: &str, description: &str, item: &str) -> Value {
    json!({
        "get": {
            "summary": summary,
            "description": description,
            "parameters": [
                { "$ref": "#/components/parameters/community" },
                { "$ref": "#/components/parameters/from" },
                { "$ref": "#/components/parameters/to" },
                { "$ref": "#/components/parameters/cursor" },
                { "$ref": "#/components/parameters/limit" },
                { "$ref": "#/components/parameters/format" }
            ],
            "responses": {
                "200": {
                    "description": "A page, newest first. As CSV (`format=csv`): UTF-8 with a byte-order mark, a header row, the next page's cursor in `X-Next-Cursor`.",
                    "content": {
                        "application/json": { "schema": { "$ref": format!("#/components/schemas/{item}Page") } },
                        "text/csv": { "schema": { "type": "string" } }
                    }
                },
                "400": { "$ref": "#/components/responses/BadRequest" },
                "404": { "$ref": "#/components/responses/NotFound" }
            }
        }
    })
}

/// How many gave 1, 2, 3, 4 and 5.
fn ratings() -> Value {
    json!({
        "type": "array", "minItems": 5, "maxItems": 5,
        "description": "How many gave 1, 2, 3, 4 and 5.",
        "items": integer()
    })
}

fn date_time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn integer() -> Value {
    json!({ "type": "integer", "format": "int64" })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "required": required,
        "additionalProperties": false,
        "properties": properties
    })
}

/// The document served at `/api/v1/openapi.json`.
pub fn document() -> Value {
    let day_or_month = json!({
        "type": "string",
        "description": "A day or a month, China time; empty is the same as absent.",
        "pattern": "^(20[0-9]{2}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$",
        "example": "2026-03"
    });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "红茶议事会 Hongcha open data",
            "version": "1.0.0",
            "description": "Read-only open data of a street's council: hot topics and why they are hot, every topic and what became of it, published opinions (personal data masked), council meetings, co-governance plans and residents' ratings. No login; nothing personal. Beside it, the risk warning module's machine API (`/api/v1/risk/…`): outside systems send indicator readings and the voice gateway keypad answers, each with its source's token."
        },
        "paths": {
            "/api/v1/communities": {
                "get": {
                    "summary": "Communities in service",
                    "responses": {
                        "200": {
                            "description": "Every community in service.",
                            "content": { "application/json": { "schema": {
                                "type": "array",
                                "items": { "$ref": "#/components/schemas/Community" }
                            } } }
                        }
                    }
                }
            },
            "/api/v1/topics": {
                "get": {
                    "summary": "Hot topics",
                    "description": "The ranking of the street or one community, each topic's heat taken apart, its keywords and the ids of its public opinions.",
                    "parameters": [
                        { "$ref": "#/components/parameters/community" },
                        {
                            "name": "limit", "in": "query", "required": false,
                            "description": "How many topics (default 20).",
                            "schema": { "type": "integer", "minimum": 1, "maximum": domain::agenda::RANKING_MAX }
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The ranking.",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Topics" } } }
                        },
                        "400": { "$ref": "#/components/responses/BadRequest" },
                        "404": { "$ref": "#/components/responses/NotFound" }
                    }
                }
            },
            "/api/v1/topics/all": list(
                "Every topic",
                "Every topic with what became of it (open, accepted onto the council agenda, rejected with the reason, merged into another), its heat now and the residents behind it, newest first. A community's are the topics its opinions are in; a period's are those whose span, from their first opinion to their last, overlaps it.",
                "TopicRecord"
            ),
            "/api/v1/opinions": list(
                "Published opinions",
                "Opinions staff published, as the public sees them: phone numbers, ID numbers and the like masked, no author. By when they were published.",
                "Opinion"
            ),
            "/api/v1/meetings": list(
                "Council meetings",
                "Meetings that were announced (not drafts), with how many were invited and came on site or online. By when they start.",
                "Meeting"
            ),
            "/api/v1/risk/readings": {
                "post": {
                    "summary": "Send indicator readings (risk warning)",
                    "description": "For outside systems with a readings source's token (an admin issues it; `hongcha risk source NAME`). A batch of 1 to 1,000 readings is checked whole: any malformed reading or unknown subject refuses the batch with an error per reading, and nothing is stored. A reading id this source sent before counts as a duplicate and is not stored again, so a failed request can simply be sent again. Readings may be dated up to 90 days back and 5 minutes ahead.",
                    "security": [{ "sourceToken": [] }],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Readings" } } }
                    },
                    "responses": {
                        "200": {
                            "description": "Stored: how many, how many were duplicates, and the warnings it opened.",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ReadingsReport" } } }
                        },
                        "400": { "$ref": "#/components/responses/BadRequest" },
                        "401": { "$ref": "#/components/responses/Unauthorized" },
                        "422": {
                            "description": "Refused, nothing stored: an error per bad reading (`errors`), or the batch empty or too long (`field`, `rule`).",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Refusal" } } }
                        }
                    }
                }
            },
            "/api/v1/risk/voice": {
                "post": {
                    "summary": "A voice call's keypad answer (risk warning)",
                    "description": "For the voice gateway, with a voice source's token: `1` 已处理 (the machine's re-check follows), `2` 需要帮助 (the case goes to people at once). One answer per call.",
                    "security": [{ "sourceToken": [] }],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/VoiceAnswer" } } }
                    },
                    "responses": {
                        "200": {
                            "description": "Recorded.",
                            "content": { "application/json": { "schema": object(&["ok"], json!({ "ok": { "type": "boolean" } })) } }
                        },
                        "400": { "$ref": "#/components/responses/BadRequest" },
                        "401": { "$ref": "#/components/responses/Unauthorized" },
                        "404": {
                            "description": "No such call.",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                        },
                        "409": {
                            "description": "The call was answered already.",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                        },
                        "422": {
                            "description": "A key that means nothing.",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Refusal" } } }
                        }
                    }
                }
            },
            "/api/v1/plans": list(
                "Co-governance plans",
                "Plans with their tasks done and residents' ratings (every round). By when they were made.",
                "Plan"
            )
        },
        "components": {
            "parameters": {
                "community": {
                    "name": "community", "in": "query", "required": false,
                    "description": "A community's id or name (see /api/v1/communities); the whole street when absent.",
                    "schema": { "type": "string", "maxLength": 64 }
                },
                "from": {
                    "name": "from", "in": "query", "required": false,
                    "description": "From this day or month (China time).",
                    "schema": day_or_month.clone()
                },
                "to": {
                    "name": "to", "in": "query", "required": false,
                    "description": "To this day or month, included (China time).",
                    "schema": day_or_month
                },
                "cursor": {
                    "name": "cursor", "in": "query", "required": false,
                    "description": "The `next_cursor` of the previous page, as it was given: `NANOS-ID` for opinions (they page by when they were published), `ID` for topics, meetings and plans.",
                    "schema": { "type": "string", "pattern": "^(([0-9]{1,19}-)?[1-9][0-9]{0,17})?$" }
                },
                "limit": {
                    "name": "limit", "in": "query", "required": false,
                    "description": "Records per page (default 20).",
                    "schema": { "type": "integer", "minimum": 1, "maximum": domain::reports::open::PAGE_MAX }
                },
                "format": {
                    "name": "format", "in": "query", "required": false,
                    "description": "`json` (default) or `csv`.",
                    "schema": { "type": "string", "enum": ["json", "csv"] }
                }
            },
            "securitySchemes": {
                "sourceToken": {
                    "type": "http", "scheme": "bearer",
                    "description": "A risk source's token (`hc_…`), shown once when the source is made. Only its SHA-256 is kept."
                }
            },
            "responses": {
                "Unauthorized": {
                    "description": "No token, or not a token of an enabled source of the right kind.",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                },
                "BadRequest": {
                    "description": "A parameter is not understood; `error` names it.",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                },
                "NotFound": {
                    "description": "No such community.",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            },
            "schemas": {
                "Error": object(&["error"], json!({ "error": string() })),
                "Readings": object(&["readings"], json!({
                    "readings": {
                        "type": "array", "minItems": 1, "maxItems": domain::risk::ingest::MAX_BATCH,
                        "items": object(&["id", "subject", "indicator", "value", "at"], json!({
                            "id": { "type": "string", "minLength": 1, "maxLength": 80, "description": "The source's own id of the reading (printable ASCII); a retry sends the same." },
                            "subject": { "type": "string", "minLength": 1, "maxLength": 80, "description": "A registered subject's code." },
                            "indicator": { "type": "string", "pattern": "^[a-z0-9_.]{1,40}$", "example": "ebike_charging.level" },
                            "value": { "type": "number" },
                            "at": date_time()
                        }))
                    }
                })),
                "ReadingsReport": object(&["stored", "duplicates", "warnings_opened"], json!({
                    "stored": { "type": "integer" },
                    "duplicates": { "type": "integer" },
                    "warnings_opened": { "type": "integer" }
                })),
                "Refusal": object(&["error"], json!({
                    "error": string(),
                    "field": string(),
                    "rule": string(),
                    "errors": {
                        "type": "array",
                        "items": object(&["index", "id", "error"], json!({
                            "index": { "type": "integer", "description": "The reading's place in the batch, from 0." },
                            "id": { "type": "string", "nullable": true },
                            "error": { "type": "string", "enum": ["id", "subject", "unknown_subject", "indicator", "value", "at", "too_old", "in_future", "not_an_object", "conflict"] }
                        }))
                    }
                })),
                "VoiceAnswer": object(&["call", "key"], json!({
                    "call": integer(),
                    "key": { "type": "string", "enum": ["1", "2"] }
                })),
                "Community": object(&["id", "name"], json!({ "id": integer(), "name": string() })),
                "Opinion": object(
                    &["id", "community_id", "channel", "category", "title", "body", "supports", "published_at"],
                    json!({
                        "id": integer(),
                        "community_id": integer(),
                        "channel": string(),
                        "category": string(),
                        "title": string(),
                        "body": string(),
                        "supports": { "type": "integer" },
                        "published_at": date_time()
                    })
                ),
                "OpinionPage": page_of("Opinion"),
                "Meeting": object(
                    &["id", "community_id", "title", "mode", "status", "starts_at", "invited", "attended_onsite", "attended_online", "ratings", "rating_average", "outcome_use"],
                    json!({
                        "id": integer(),
                        "community_id": integer(),
                        "title": string(),
                        "mode": { "type": "string", "enum": ["onsite", "online", "hybrid"] },
                        "status": { "type": "string", "enum": ["scheduled", "live", "closed", "cancelled"] },
                        "starts_at": date_time(),
                        "invited": integer(),
                        "attended_onsite": integer(),
                        "attended_online": integer(),
                        "ratings": ratings(),
                        "rating_average": { "type": "number", "nullable": true },
                        "outcome_use": {
                            "type": "string", "nullable": true,
                            "description": "How the meeting's outcomes were used (成果运用), once staff recorded it."
                        }
                    })
                ),
                "MeetingPage": page_of("Meeting"),
                "Plan": object(
                    &["id", "community_id", "title", "status", "round", "created_at", "closed_at", "tasks", "tasks_done", "ratings", "rating_average"],
                    json!({
                        "id": integer(),
                        "community_id": integer(),
                        "title": string(),
                        "status": { "type": "string", "enum": ["active", "rating", "closed"] },
                        "round": { "type": "integer" },
                        "created_at": date_time(),
                        "closed_at": { "type": "string", "format": "date-time", "nullable": true },
                        "tasks": integer(),
                        "tasks_done": integer(),
                        "ratings": ratings(),
                        "rating_average": { "type": "number", "nullable": true }
                    })
                ),
                "PlanPage": page_of("Plan"),
                "TopicRecord": object(
                    &["id", "title", "status", "reject_reason", "merged_into", "heat", "residents", "posts", "first_at", "last_at", "decided_at"],
                    json!({
                        "id": integer(),
                        "title": string(),
                        "status": { "type": "string", "enum": ["open", "accepted", "rejected", "merged"] },
                        "reject_reason": { "type": "string", "nullable": true },
                        "merged_into": { "type": "integer", "format": "int64", "nullable": true },
                        "heat": { "type": "number", "minimum": 0 },
                        "residents": { "type": "integer" },
                        "posts": { "type": "integer" },
                        "first_at": date_time(),
                        "last_at": date_time(),
                        "decided_at": { "type": "string", "format": "date-time", "nullable": true }
                    })
                ),
                "TopicRecordPage": page_of("TopicRecord"),
                "Topics": object(
                    &["community", "half_life_days", "topics"],
                    json!({
                        "community": { "type": "integer", "format": "int64", "nullable": true },
                        "half_life_days": { "type": "number" },
                        "topics": { "type": "array", "items": { "$ref": "#/components/schemas/Topic" } }
                    })
                ),
                "Topic": object(
                    &["id", "title", "status", "heat", "explain", "explain_en", "breakdown", "keywords", "trend", "first_at", "last_at", "opinion_ids", "opinions_total"],
                    json!({
                        "id": integer(),
                        "title": string(),
                        "status": string(),
                        "heat": { "type": "number" },
                        "explain": string(),
                        "explain_en": string(),
                        "breakdown": { "type": "object", "description": "The heat taken apart (residents, decay, spread, supports)." },
                        "keywords": { "type": "array", "items": string() },
                        "trend": { "type": "array", "items": { "type": "integer" } },
                        "first_at": date_time(),
                        "last_at": date_time(),
                        "opinion_ids": { "type": "array", "items": integer() },
                        "opinions_total": { "type": "integer" }
                    })
                )
            }
        }
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `/api/v1/docs`: each operation with its parameters and answers.
pub fn page() -> String {
    let doc = document();
    let params = &doc["components"]["parameters"];
    let resolve = |p: &Value| -> Value {
        match p["$ref"].as_str() {
            Some(r) => params[r.rsplit('/').next().unwrap_or_default()].clone(),
            None => p.clone(),
        }
    };
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>开放数据接口 · Open data API</title>\
         </head><body><main>",
    );
    html.push_str(&format!(
        "<h1>开放数据接口 · Open data API</h1><p>{}</p>\
         <p>机器可读的说明 · Machine-readable: <a href=\"/api/v1/openapi.json\"><code>/api/v1/openapi.json</code></a> (OpenAPI {})</p>",
        escape(doc["info"]["description"].as_str().unwrap_or_default()),
        escape(doc["openapi"].as_str().unwrap_or_default())
    ));
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let (method, op) = match item.get("post") {
                Some(op) => ("POST", op),
                None => ("GET", &item["get"]),
            };
            html.push_str(&format!(
                "<section><h2><code>{method} {}</code></h2><p><strong>{}</strong></p>",
                escape(path),
                escape(op["summary"].as_str().unwrap_or_default())
            ));
            if let Some(d) = op["description"].as_str() {
                html.push_str(&format!("<p>{}</p>", escape(d)));
            }
            if let Some(ps) = op["parameters"].as_array() {
                html.push_str("<table><thead><tr><th>参数 Parameter</th><th>说明 Description</th></tr></thead><tbody>");
                for p in ps.iter().map(resolve) {
                    html.push_str(&format!(
                        "<tr><td><code>{}</code></td><td>{}</td></tr>",
                        escape(p["name"].as_str().unwrap_or_default()),
                        escape(p["description"].as_str().unwrap_or_default())
                    ));
                }
                html.push_str("</tbody></table>");
            }
            if let Some(rs) = op["responses"].as_object() {
                html.push_str("<ul>");
                for (code, r) in rs {
                    let d = r["description"].as_str().unwrap_or(match code.as_str() {
                        "400" => "A parameter (or the body) is not understood; `error` names it.",
                        "401" => "No token, or not a token of an enabled source of the right kind.",
                        "404" => "No such community.",
                        _ => "",
                    });
                    html.push_str(&format!(
                        "<li><code>{}</code> {}</li>",
                        escape(code),
                        escape(d)
                    ));
                }
                html.push_str("</ul>");
            }
            html.push_str("</section>");
        }
    }
    html.push_str("</main></body></html>");
    html
}
