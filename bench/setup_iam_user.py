#!/usr/bin/env python3
"""Creates a user whose only permission is iam:GetUser through a group policy, and prints its key.

usage: setup_iam_user.py ENDPOINT ACCESS_KEY SECRET [CA_BUNDLE]
Prints: ACCESS_KEY_ID SECRET_ACCESS_KEY USER_NAME
"""

import json
import sys

import boto3

endpoint, key, secret = sys.argv[1:4]
verify = sys.argv[4] if len(sys.argv) > 4 else None
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                   aws_secret_access_key=secret, verify=verify)
iam.create_user(UserName="bench-reader")
iam.create_group(GroupName="bench-readers")
iam.put_group_policy(GroupName="bench-readers", PolicyName="get-user", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
iam.add_user_to_group(GroupName="bench-readers", UserName="bench-reader")
k = iam.create_access_key(UserName="bench-reader")["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"], "bench-reader")
