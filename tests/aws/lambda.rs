//! Lambda's side of the wiring, done by the test against moto: deliveries of the activities queue as
//! `SqsEvent`s, the alerts table's stream as DynamoDB `Event`s, and a queue behind the alerts bus that shows
//! what a notification target would receive. The handlers then see exactly what Lambda would hand them.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodbstreams::types::{AttributeValue, ShardIteratorType};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use base64::Engine as _;
use saaswarden_aws::testing::Stack;
use saaswarden_lambda::Settings;
use serde_json::{Value, json};

/// How many empty one-second long polls end a read of a queue: moto delivers at once, so this bounds a
/// test's wait without sleeping.
const EMPTY_POLLS: usize = 2;

/// The functions' environment for a stack, as the template's `Globals` set it.
pub fn settings(stack: &Stack, extra: &[(&str, &str)]) -> Settings {
    let mut values: HashMap<String, String> = stack.function_variables().into_iter().collect();
    values.insert("SAASWARDEN_CONFIG".into(), "bundled".into());
    values.insert("DRY_RUN".into(), "true".into());
    for (variable, value) in extra {
        values.insert(variable.to_string(), value.to_string());
    }
    Settings::from_map(values)
}

/// A received message, kept so a delivery can be built, redelivered and deleted.
#[derive(Clone, Debug)]
pub struct Received {
    pub message_id: String,
    pub receipt_handle: String,
    pub group: Option<String>,
    pub body: String,
}

/// Receives every message currently on `queue_url`, up to ten per call as Lambda's poller does.
pub async fn receive_all(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Vec<Received> {
    let mut received = Vec::new();
    let mut empty = 0;
    while empty < EMPTY_POLLS {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .expect("receive from the queue");
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            empty += 1;
            continue;
        }
        for message in messages {
            let group =
                message.attributes.as_ref().and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId)).cloned();
            received.push(Received {
                message_id: message.message_id.unwrap_or_default(),
                receipt_handle: message.receipt_handle.unwrap_or_default(),
                group,
                body: message.body.unwrap_or_default(),
            });
        }
    }
    received
}

/// Deletes received messages (what Lambda does for the ones a handler did not report failed).
pub async fn delete(sqs: &aws_sdk_sqs::Client, queue_url: &str, messages: &[Received]) {
    for message in messages {
        sqs.delete_message()
            .queue_url(queue_url)
            .receipt_handle(&message.receipt_handle)
            .send()
            .await
            .expect("delete a message");
    }
}

/// The `SqsEvent` Lambda's event source mapping would deliver for these messages.
pub fn sqs_event(queue_arn: &str, messages: &[Received]) -> SqsEvent {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let mut attributes = json!({ "ApproximateReceiveCount": "1", "SentTimestamp": "1764000000000" });
            if let Some(group) = &m.group {
                attributes["MessageGroupId"] = json!(group);
            }
            json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("an SqsEvent")
}

/// A queue's ARN.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("a queue ARN")
}

/// Reads the alerts table's stream from where it last stopped, as the notifier's event source mapping.
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    /// Next iterator per shard.
    iterators: BTreeMap<String, String>,
}

impl StreamReader {
    pub async fn new(stack: &Stack) -> StreamReader {
        let client = aws_sdk_dynamodbstreams::Client::new(&stack.config);
        let stream_arn = stack.output("AlertsStreamArn").to_string();
        StreamReader { client, stream_arn, iterators: BTreeMap::new() }
    }

    /// Every record written since the last read, as the notifier's `Event`.
    pub async fn read(&mut self) -> StreamEvent {
        let description = self.client.describe_stream().stream_arn(&self.stream_arn).send().await.expect("stream");
        let shards = description.stream_description.and_then(|d| d.shards).unwrap_or_default();
        let mut records = Vec::new();
        for shard in shards {
            let Some(shard_id) = shard.shard_id else { continue };
            let iterator = match self.iterators.get(&shard_id) {
                Some(iterator) => iterator.clone(),
                None => self
                    .client
                    .get_shard_iterator()
                    .stream_arn(&self.stream_arn)
                    .shard_id(&shard_id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .expect("shard iterator")
                    .shard_iterator
                    .expect("an iterator"),
            };
            let output = self.client.get_records().shard_iterator(&iterator).send().await.expect("stream records");
            for record in output.records.unwrap_or_default() {
                records.push(lambda_record(&record));
            }
            if let Some(next) = output.next_shard_iterator {
                self.iterators.insert(shard_id, next);
            }
        }
        serde_json::from_value(json!({ "Records": records })).expect("a DynamoDB stream Event")
    }
}

/// A stream record in the JSON shape Lambda delivers.
fn lambda_record(record: &aws_sdk_dynamodbstreams::types::Record) -> Value {
    let change = record.dynamodb.as_ref();
    let image = |item: Option<&HashMap<String, AttributeValue>>| item.map(item_json);
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": change
            .and_then(|c| c.approximate_creation_date_time)
            .map_or(0, |t| t.secs()),
        "Keys": image(change.and_then(|c| c.keys.as_ref())).unwrap_or(json!({})),
        "SequenceNumber": change.and_then(|c| c.sequence_number.clone()),
        "SizeBytes": change.and_then(|c| c.size_bytes).unwrap_or(0),
        "StreamViewType": change.and_then(|c| c.stream_view_type.as_ref()).map(|v| v.as_str().to_string()),
    });
    if let Some(new) = image(change.and_then(|c| c.new_image.as_ref())) {
        dynamodb["NewImage"] = new;
    }
    if let Some(old) = image(change.and_then(|c| c.old_image.as_ref())) {
        dynamodb["OldImage"] = old;
    }
    json!({
        "eventID": record.event_id,
        "eventName": record.event_name.as_ref().map(|n| n.as_str().to_string()),
        "eventVersion": record.event_version,
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
    })
}

fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(name, value)| (name.clone(), value_json(value))).collect())
}

/// DynamoDB's JSON for one attribute value (`{"S": …}`, `{"N": …}`, …).
fn value_json(value: &AttributeValue) -> Value {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b.as_ref()) }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => json!({ "BS": v.iter().map(|b| b64(b.as_ref())).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item_json(m) }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(value_json).collect::<Vec<_>>() }),
        AttributeValue::Null(n) => json!({ "NULL": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        other => panic!("a stream attribute of a type this test does not know: {other:?}"),
    }
}

/// A queue subscribed to the alerts bus by a rule on `source = saaswarden`: what a notification target sees.
pub struct BusTap {
    pub queue_url: String,
}

impl BusTap {
    pub async fn new(stack: &Stack) -> BusTap {
        let clients = stack.clients();
        let bus = stack.output("AlertsEventBusName");
        let queue_url = clients
            .sqs
            .create_queue()
            .queue_name(format!("{}-bus-tap", stack.name))
            .send()
            .await
            .expect("create the tap queue")
            .queue_url
            .expect("a queue URL");
        let arn = queue_arn(&clients.sqs, &queue_url).await;
        let rule = format!("{}-tap", stack.name);
        clients
            .eventbridge
            .put_rule()
            .name(&rule)
            .event_bus_name(bus)
            .event_pattern(r#"{"source":["saaswarden"]}"#)
            .send()
            .await
            .expect("a rule on the alerts bus");
        let target = aws_sdk_eventbridge::types::Target::builder().id("tap").arn(arn).build().expect("a target");
        clients.eventbridge.put_targets().rule(&rule).event_bus_name(bus).targets(target).send().await.expect("target");
        BusTap { queue_url }
    }

    /// The events delivered since the last read, as JSON (`detail-type`, `detail`, …).
    pub async fn events(&self, stack: &Stack) -> Vec<Value> {
        let sqs = stack.clients().sqs;
        let received = receive_all(&sqs, &self.queue_url).await;
        delete(&sqs, &self.queue_url, &received).await;
        received.iter().map(|m| serde_json::from_str(&m.body).expect("an event as JSON")).collect()
    }
}

/// Every item of a table, sorted by key, for before/after comparisons.
pub async fn table_items(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let output =
            dynamodb.scan().table_name(table).set_exclusive_start_key(start).send().await.expect("scan a table");
        for item in output.items.unwrap_or_default() {
            let mut fields: Vec<String> = item.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            fields.sort();
            items.push(fields.join(" "));
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    items.sort();
    items
}
