// Drives a running Rampart with the official AWS SDK for JavaScript v3. Configuration comes from
// the environment `rampart env` prints (AWS_ENDPOINT_URL, keys, region); for TLS, NODE_EXTRA_CA_CERTS
// points at Rampart's CA. Prints one JSON object with what it saw; exits non-zero on surprise.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { IAMClient, CreateUserCommand, GetUserCommand, CreateAccessKeyCommand } from "@aws-sdk/client-iam";

const region = process.env.AWS_DEFAULT_REGION || "us-east-1";
const sts = new STSClient({ region });
const iam = new IAMClient({ region });

const identity = await sts.send(new GetCallerIdentityCommand({}));
const userName = `js-${Date.now()}`;
await iam.send(new CreateUserCommand({ UserName: userName }));
const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;

// The new user has no policy: Rampart must deny it, and the SDK must see AWS's error code.
const asUser = new IAMClient({
  region,
  credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
});
let denied = null;
try {
  await asUser.send(new GetUserCommand({}));
} catch (e) {
  denied = { name: e.name, status: e.$metadata?.httpStatusCode };
}
const userIdentity = await new STSClient({
  region,
  credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
}).send(new GetCallerIdentityCommand({}));

console.log(JSON.stringify({ identity: { Arn: identity.Arn, Account: identity.Account, UserId: identity.UserId }, userArn: userIdentity.Arn, denied }));
