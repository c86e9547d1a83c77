//! Assets from S3 (moto server): policies and configuration load as they do in Lambda, and every
//! problem names the object it is in.

use saaswarden_aws::testing::moto;
use saaswarden_core::config::Config;
use saaswarden_lambda::{Assets, Location};

async fn bucket(name: &str, objects: &[(&str, &str)]) -> Assets {
    let sdk = moto().sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    s3.create_bucket().bucket(name).send().await.expect("create bucket");
    for (key, text) in objects {
        s3.put_object().bucket(name).key(*key).body(text.as_bytes().to_vec().into()).send().await.expect("put");
    }
    Assets::new(s3)
}

const POLICY: &str = "\
id: s3_owner_transferred
name: Owner transferred
severity: high
apps: [slack]
filter: { field: action, op: equals, value: owner_transferred }
alert:
  title: \"{{actor.email}} transferred ownership\"
";

#[tokio::test(flavor = "multi_thread")]
async fn policies_load_from_an_s3_prefix_and_the_bundled_starter_pack() {
    let assets = bucket(
        "policies-ok",
        &[("policies/slack/owner.yaml", POLICY), ("policies/README.md", "not a policy"), ("other/x.yaml", "x: 1")],
    )
    .await;
    let location: Location = "s3://policies-ok/policies/".parse().expect("location");
    let set = assets.policies(&location, &Config::default()).await.expect("load").expect("some policies");
    let ids: Vec<&str> = set.policies().iter().map(|p| p.id()).collect();
    assert_eq!(ids, ["s3_owner_transferred"], "only .yaml objects under the prefix");

    let bundled = assets.policies(&Location::Bundled, &Config::default()).await.expect("bundled").expect("pack");
    assert!(bundled.len() >= 25, "the starter pack is built in: {}", bundled.len());
    assert!(assets.policies(&Location::None, &Config::default()).await.expect("none").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_policy_or_configuration_names_the_object_and_line() {
    let broken = POLICY.replace("op: equals", "op: equalz");
    let assets =
        bucket("policies-bad", &[("p/owner.yaml", &broken), ("saaswarden.toml", "tenant = \"acme\"\nbogus = 1\n")])
            .await;
    let error = assets.policies(&"s3://policies-bad/p/".parse().expect("loc"), &Config::default()).await;
    let message = error.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("s3://policies-bad/p/owner.yaml:5") && message.contains("equalz"), "{message}");

    let config = assets.config(&"s3://policies-bad/saaswarden.toml".parse().expect("loc")).await;
    let message = config.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("s3://policies-bad/saaswarden.toml") && message.contains("bogus"), "{message}");

    let missing = assets.config(&"s3://policies-bad/nope.toml".parse().expect("loc")).await;
    let message = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("s3://policies-bad/nope.toml"), "{message}");
}
