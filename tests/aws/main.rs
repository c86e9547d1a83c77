//! The cloud end-to-end tests: the Lambda handlers of `saaswarden-lambda`, driven with events built as Lambda
//! builds them, against moto server with the tables, queues and bus deployed from `infra/template.yaml`'s own
//! definitions (`saaswarden_aws::testing`). `bash tests/run.sh` prepares moto server.

mod api;
mod collector;
mod concurrency;
mod crash;
mod deployment;
mod governance;
mod hostile;
mod lambda;
mod pipeline;
mod redelivery;
