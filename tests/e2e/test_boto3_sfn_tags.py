"""TagResource / UntagResource / ListTagsForResource on state machines and activities through boto3."""

from __future__ import annotations

import json

from e2e_helpers import ROLE, error_of

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def test_tags_on_a_state_machine(sfn):
    arn = sfn.create_state_machine(name="tagged", definition=PASS, roleArn=ROLE,
                                   tags=[{"key": "team", "value": "data"}, {"key": "env", "value": "dev"}])[
        "stateMachineArn"]
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "team", "value": "data"}, {"key": "env", "value": "dev"}]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "prod"}, {"key": "cost", "value": "42"}])
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "data", "env": "prod", "cost": "42"}
    sfn.untag_resource(resourceArn=arn, tagKeys=["team", "not-there"])
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"env": "prod", "cost": "42"}
    # an untagged machine lists no tags; a deleted one is not found
    other = sfn.create_state_machine(name="plain", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    assert sfn.list_tags_for_resource(resourceArn=other)["tags"] == []
    sfn.delete_state_machine(stateMachineArn=arn)
    assert error_of(sfn.list_tags_for_resource, resourceArn=arn)[0] == "ResourceNotFound"


def test_tags_on_an_activity(sfn):
    arn = sfn.create_activity(name="worker", tags=[{"key": "owner", "value": "ops"}])["activityArn"]
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "owner", "value": "ops"}]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "tier", "value": "1"}])
    sfn.untag_resource(resourceArn=arn, tagKeys=["owner"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "tier", "value": "1"}]


def test_tag_errors(sfn):
    arn = sfn.create_state_machine(name="limits", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    code, message = error_of(sfn.tag_resource, resourceArn=arn, tags=[{"key": "one-more", "value": "v"}])
    assert code == "TooManyTags" and "50" in message
    # overwriting an existing key stays within the limit
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "k0", "value": "changed"}])
    assert len(sfn.list_tags_for_resource(resourceArn=arn)["tags"]) == 50
    code, _ = error_of(sfn.create_state_machine, name="toomany", definition=PASS, roleArn=ROLE,
                       tags=[{"key": f"k{i}", "value": "v"} for i in range(51)])
    assert code == "TooManyTags"
    assert error_of(sfn.describe_state_machine,
                    stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:toomany")[0] == \
        "StateMachineDoesNotExist"

    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nope"
    assert error_of(sfn.tag_resource, resourceArn=missing, tags=[{"key": "a", "value": "b"}]) == \
        ("ResourceNotFound", f"Resource not found: '{missing}'")
    assert error_of(sfn.untag_resource, resourceArn=missing, tagKeys=["a"])[0] == "ResourceNotFound"
    assert error_of(sfn.list_tags_for_resource, resourceArn="not-an-arn")[0] == "InvalidArn"
    code, message = error_of(sfn.tag_resource, resourceArn=arn, tags=[{"key": "x" * 129, "value": "v"}])
    assert code == "ValidationException" and "tags.1.member.key" in message
