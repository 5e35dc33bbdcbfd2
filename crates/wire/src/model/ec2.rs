//! EC2's query dialect from the model: its input names and its response envelope.
//!
//! Input is read by [`super::query::parse`] with [`Dialect::Ec2`]: a member is named by its
//! `queryName`, else its `locationName` capitalized, else its member name ([`input_name`]), and
//! every list is `Name.N` (flattened, whatever the model says), as botocore's `EC2Serializer`
//! writes them. Output is `<{Op}Response xmlns="{namespace}"><requestId>…</requestId>{members}
//! </{Op}Response>`, with no result wrapper; members are named by their `locationName` (EC2's
//! lower camel case) and lists are `<name><item>…</item></name>` ([`response`]).

use super::query::{Dialect, write_xml};
use super::{Member, Model, OperationModel};
use crate::protocol::{ResponseBody, full_body, set_request_id};
use crate::xml::escape_into;
use http::{HeaderValue, Response, header};
use serde_json::Value;

/// The name of member `m` in an EC2 request: `queryName`, else `locationName` with its first
/// letter upper-cased, else the member's name.
pub fn input_name(m: &Member) -> String {
    m.query_name.clone().unwrap_or_else(|| match &m.location_name {
        Some(l) => crate::query::upper_first(l),
        None => m.name.clone(),
    })
}

/// The body of a successful EC2 response of `op` carrying `output` (the typed output's value
/// tree; `None` when the operation has no output shape, answered as EC2 answers those:
/// `<return>true</return>`).
pub fn response_xml(model: &Model, op: &OperationModel, output: Option<&Value>, request_id: &str) -> String {
    let mut members = String::new();
    match (op.output, output) {
        (Some(shape), Some(v)) => write_xml(model, shape, v, Dialect::Ec2, &mut members),
        (Some(_), None) => {}
        (None, _) => members.push_str("<return>true</return>"),
    }
    let mut out = String::with_capacity(128 + members.len() + 2 * op.name.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    out.push_str(&op.name);
    out.push_str("Response xmlns=\"");
    escape_into(&mut out, &model.metadata.xml_namespace);
    out.push_str("\"><requestId>");
    escape_into(&mut out, request_id);
    out.push_str("</requestId>");
    out.push_str(&members);
    out.push_str("</");
    out.push_str(&op.name);
    out.push_str("Response>");
    out
}

/// The successful EC2 response of `op` carrying `output`, as [`response_xml`] writes it.
pub fn response(
    model: &Model,
    op: &OperationModel,
    output: Option<&Value>,
    request_id: &str,
) -> Response<ResponseBody> {
    let mut resp = Response::new(full_body(response_xml(model, op, output, request_id)));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml;charset=UTF-8"));
    set_request_id(&mut resp, request_id, crate::protocol::Protocol::Ec2);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::QueryParams;
    use rampart_core::AwsError;
    use serde_json::json;

    fn ec2() -> Model {
        Model::from_json(include_str!("../../model/ec2.json")).unwrap()
    }

    fn parse_op(m: &Model, op: &str, form: &str) -> Result<Value, AwsError> {
        let q = QueryParams::parse("", format!("Action={op}&Version=2016-11-15&{form}").as_bytes()).unwrap();
        super::super::query::parse(m, m.operation(op).unwrap().input.unwrap(), &q, Dialect::Ec2)
    }

    fn xml(m: &Model, op: &str, v: &Value) -> String {
        let out = response_xml(m, m.operation(op).unwrap(), Some(v), "req-1");
        let body = out.split_once("<requestId>req-1</requestId>").unwrap().1;
        body.strip_suffix(&format!("</{op}Response>")).unwrap().to_owned()
    }

    /// The forms in these tests are exactly what botocore 1.43.11's `EC2Serializer` writes for
    /// the same parameters (checked outside the repository), and the XML below is read back by
    /// its `EC2QueryParser` into those parameters.
    #[test]
    fn input_names_are_query_names_or_capitalized_location_names() {
        let m = ec2();
        // `Description` travels as `GroupDescription` (its locationName), `DryRun` as `DryRun`
        // (`dryRun` capitalized), `TagSpecifications` as `TagSpecification.N`, and a tag's `Key`
        // (locationName `key`) as `Key`.
        let v = parse_op(
            &m,
            "CreateSecurityGroup",
            "GroupName=web&GroupDescription=Web+tier&VpcId=vpc-1&DryRun=true\
             &TagSpecification.1.ResourceType=security-group\
             &TagSpecification.1.Tag.1.Key=env&TagSpecification.1.Tag.1.Value=prod\
             &TagSpecification.1.Tag.2.Key=team&TagSpecification.1.Tag.2.Value=",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "GroupName": "web",
                "Description": "Web tier",
                "VpcId": "vpc-1",
                "DryRun": true,
                "TagSpecifications": [{
                    "ResourceType": "security-group",
                    "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": ""}]
                }]
            })
        );
        // The model's member names are not EC2's wire names: `Description=` is not the member.
        let v = parse_op(&m, "CreateSecurityGroup", "GroupName=web&Description=x").unwrap();
        assert_eq!(v, json!({"GroupName": "web"}));
    }

    /// EC2's model gives some members a `queryName` (the trimmed one has none): it wins over the
    /// `locationName`; maps take `Name.entry.N.Key` / `.Value` names capitalized as members are.
    #[test]
    fn query_names_win_and_map_names_are_capitalized() {
        let m = Model::from_json(
            r#"{
              "version": "2.0",
              "metadata": {"protocol": "ec2", "apiVersion": "2016-11-15", "xmlNamespace": "urn:x"},
              "operations": {"Op": {"name": "Op", "http": {"method": "POST", "requestUri": "/"},
                                    "input": {"shape": "In"}, "output": {"shape": "Out"}}},
              "shapes": {
                "In": {"type": "structure", "members": {
                  "Attribute": {"shape": "S", "locationName": "attribute", "queryName": "Attr"},
                  "Ids": {"shape": "Ids", "locationName": "instanceId", "queryName": "InstanceId"},
                  "Plain": {"shape": "S"},
                  "When": {"shape": "T", "locationName": "when"},
                  "Data": {"shape": "B"},
                  "Labels": {"shape": "Labels"},
                  "Pairs": {"shape": "Pairs"}}},
                "Out": {"type": "structure", "members": {
                  "When": {"shape": "T", "locationName": "when"},
                  "Data": {"shape": "B", "locationName": "data"},
                  "Pairs": {"shape": "Pairs", "locationName": "pairSet"}}},
                "S": {"type": "string"}, "T": {"type": "timestamp"}, "B": {"type": "blob"},
                "Ids": {"type": "list", "member": {"shape": "S", "locationName": "item"}},
                "Labels": {"type": "map", "key": {"shape": "S", "locationName": "name"},
                           "value": {"shape": "S", "locationName": "text"}},
                "Pairs": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}}
              }
            }"#,
        )
        .unwrap();
        let v = parse_op(
            &m,
            "Op",
            "Attr=a&Attribute=ignored&InstanceId.1=i-1&InstanceId.2=i-2&Plain=p&When=2026-12-03T13%3A00%3A00.250Z\
             &Data=aGk%3D&Labels.entry.1.Name=k&Labels.entry.1.Text=v&Pairs.entry.1.key=x&Pairs.entry.1.value=y",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "Attribute": "a", "Ids": ["i-1", "i-2"], "Plain": "p", "When": 1796302800.25, "Data": "aGk=",
                "Labels": {"k": "v"}, "Pairs": {"x": "y"}
            })
        );
        assert!(parse_op(&m, "Op", "Data=not+base64").is_err());
        assert_eq!(
            xml(&m, "Op", &json!({"When": 1796302800.25, "Data": "aGk=", "Pairs": {"x": "y"}})),
            "<when>2026-12-03T13:00:00.250Z</when><data>aGk=</data>\
             <pairSet><entry><key>x</key><value>y</value></entry></pairSet>"
        );
    }

    #[test]
    fn lists_are_always_flattened_and_nest() {
        let m = ec2();
        let v = parse_op(
            &m,
            "DescribeSecurityGroups",
            "GroupId.1=sg-1&GroupId.2=sg-2&GroupName.1=default&MaxResults=10&NextToken=t\
             &Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&Filter.1.Value.2=vpc-2&Filter.2.Name=group-name&Filter.2.Value.1=web",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "GroupIds": ["sg-1", "sg-2"],
                "GroupNames": ["default"],
                "MaxResults": 10,
                "NextToken": "t",
                "Filters": [{"Name": "vpc-id", "Values": ["vpc-1", "vpc-2"]}, {"Name": "group-name", "Values": ["web"]}]
            })
        );
        let v = parse_op(
            &m,
            "AuthorizeSecurityGroupIngress",
            "GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22\
             &IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8&IpPermissions.1.IpRanges.1.Description=office\
             &IpPermissions.1.Ipv6Ranges.1.CidrIpv6=%3A%3A%2F0\
             &IpPermissions.1.Groups.1.GroupId=sg-2&IpPermissions.1.Groups.1.UserId=123456789012\
             &IpPermissions.1.PrefixListIds.1.PrefixListId=pl-1\
             &IpPermissions.2.IpProtocol=-1",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "GroupId": "sg-1",
                "IpPermissions": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 22,
                        "ToPort": 22,
                        "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "office"}],
                        "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                        "UserIdGroupPairs": [{"GroupId": "sg-2", "UserId": "123456789012"}],
                        "PrefixListIds": [{"PrefixListId": "pl-1"}]
                    },
                    {"IpProtocol": "-1"}
                ]
            })
        );
        let v = parse_op(&m, "CreateTags", "ResourceId.1=sg-1&ResourceId.2=vpc-1&Tag.1.Key=a&Tag.1.Value=b").unwrap();
        assert_eq!(v, json!({"Resources": ["sg-1", "vpc-1"], "Tags": [{"Key": "a", "Value": "b"}]}));
    }

    #[test]
    fn malformed_ec2_members_are_refused() {
        let m = ec2();
        for form in [
            "GroupId.0=sg-1",
            "GroupId.1=sg-1&GroupId.3=sg-3",
            "GroupId.01=sg-1",
            "GroupId=sg-1",
            "GroupId.member.1=sg-1",
            "GroupId.1=a&GroupId.1=b",
            "GroupId.1.x=sg-1",
            "Filter.1.Name=a&Filter.1.Value=b",
            "Filter.1=a",
            "MaxResults=ten",
            "DryRun=yes",
        ] {
            let e = parse_op(&m, "DescribeSecurityGroups", form).unwrap_err();
            assert_eq!(e.status(), 400, "{form}");
            assert_eq!(e.code(), "InvalidParameterValue", "{form}: {}", e.message());
        }
        let e = parse_op(&m, "DescribeSecurityGroups", "GroupId.1=sg-1&GroupId.3=sg-3").unwrap_err();
        assert!(e.message().contains("GroupId.2 is missing"), "{}", e.message());
    }

    #[test]
    fn output_is_ec2_xml() {
        let m = ec2();
        let body = xml(
            &m,
            "DescribeSecurityGroups",
            &json!({
                "SecurityGroups": [{
                    "GroupId": "sg-1",
                    "GroupName": "web",
                    "Description": "a<b",
                    "OwnerId": "123456789012",
                    "VpcId": "vpc-1",
                    "IpPermissions": [{
                        "IpProtocol": "tcp",
                        "FromPort": 22,
                        "ToPort": 22,
                        "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                        "UserIdGroupPairs": []
                    }],
                    "IpPermissionsEgress": [],
                    "Tags": [{"Key": "k", "Value": "v"}]
                }],
                "NextToken": null
            }),
        );
        assert_eq!(
            body,
            "<securityGroupInfo><item><groupId>sg-1</groupId>\
             <ipPermissionsEgress></ipPermissionsEgress>\
             <tagSet><item><key>k</key><value>v</value></item></tagSet>\
             <vpcId>vpc-1</vpcId><ownerId>123456789012</ownerId><groupName>web</groupName>\
             <groupDescription>a&lt;b</groupDescription>\
             <ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>\
             <groups></groups><ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges></item></ipPermissions>\
             </item></securityGroupInfo>"
        );
        let body = xml(
            &m,
            "DescribeVpcs",
            &json!({"Vpcs": [{
                "VpcId": "vpc-1",
                "IsDefault": true,
                "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
                "CidrBlockAssociationSet": [{"AssociationId": "a", "CidrBlockState": {"State": "associated"}}]
            }]}),
        );
        assert_eq!(
            body,
            "<vpcSet><item><cidrBlockAssociationSet><item><associationId>a</associationId>\
             <cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet>\
             <isDefault>true</isDefault>\
             <blockPublicAccessStates><internetGatewayBlockMode>off</internetGatewayBlockMode></blockPublicAccessStates>\
             <vpcId>vpc-1</vpcId></item></vpcSet>"
        );
    }

    /// A future that is ready at once (a buffered body).
    fn ready<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("a buffered body is ready at once"),
        }
    }

    /// The pipeline's entry points take the EC2 branch for an EC2 model.
    #[test]
    fn the_pipeline_entry_points_speak_ec2() {
        use http_body_util::BodyExt as _;
        let m = ec2();
        let op = m.operation("CreateSecurityGroup").unwrap();
        let q = QueryParams::parse("", b"Action=CreateSecurityGroup&GroupName=web&GroupDescription=d").unwrap();
        let tree = super::super::parse_input(&m, op, crate::service::Input::Query(q)).unwrap();
        assert_eq!(tree, json!({"GroupName": "web", "Description": "d"}));
        // The model's constraints, in EC2's spelling.
        let q = QueryParams::parse("", b"Action=CreateSecurityGroup&GroupName=web").unwrap();
        let e = super::super::parse_input(&m, op, crate::service::Input::Query(q)).unwrap_err();
        assert_eq!(e.code(), "InvalidParameterValue");
        let resp = super::super::respond(&m, op, &json!({"GroupId": "sg-1"}), "r");
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/xml;charset=UTF-8");
        let body = ready(resp.into_body().collect()).unwrap().to_bytes();
        assert!(
            String::from_utf8_lossy(&body)
                .ends_with("<requestId>r</requestId><groupId>sg-1</groupId></CreateSecurityGroupResponse>"),
            "{body:?}"
        );
    }

    #[test]
    fn the_envelope_has_the_request_id_and_no_result_wrapper() {
        let m = ec2();
        let op = m.operation("CreateSecurityGroup").unwrap();
        let out = response_xml(&m, op, Some(&json!({"GroupId": "sg-1", "SecurityGroupArn": "arn"})), "r&1");
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <CreateSecurityGroupResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\">\
             <requestId>r&amp;1</requestId><groupId>sg-1</groupId><securityGroupArn>arn</securityGroupArn>\
             </CreateSecurityGroupResponse>"
        );
        let tags = m.operation("CreateTags").unwrap();
        let out = response_xml(&m, tags, None, "r");
        assert!(out.ends_with("<requestId>r</requestId><return>true</return></CreateTagsResponse>"), "{out}");
        let resp = response(&m, tags, None, "r");
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/xml;charset=UTF-8");
        assert_eq!(resp.headers()["x-amzn-requestid"], "r");
    }
}
