//! Virtual MFA devices: created with a random TOTP seed (sealed by the keystore; shown once, as
//! base-32 text and as a QR code), enabled for a user with two consecutive codes, then checked
//! by STS (`GetSessionToken`, `AssumeRole` with `SerialNumber`/`TokenCode`).
//!
//! Devices of the root user are not supported: `EnableMFADevice` takes an IAM user.

use super::{On, account, mop};
use crate::accounts::iso_now;
use crate::api::policies::checked_tags;
use crate::api::users::{load_user, scan_kind, user_shape};
use crate::mfa::{device_key, open_seed, seal_seed};
use crate::model::{IAM, Kind, MfaDeviceRecord, UserRecord};
use crate::shapes::iam as shapes;
use crate::state::Iam;
use crate::totp;
use crate::util::*;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rampart_core::ids::{AccountId, fill_random};
use rampart_core::{AwsError, PrincipalKind};
use rampart_store::{StoreExt, Txn, TxnExt};
use rampart_wire::model::{Empty, SecretBlob, Timestamp};
use rampart_wire::{Call, Operation};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Bytes of a new device's seed (160 bits, RFC 4226's recommendation for HMAC-SHA1).
const SEED_BYTES: usize = 20;
/// Most MFA devices one user may have enabled.
const MAX_DEVICES_PER_USER: usize = 8;
/// `EnableMFADevice`: the second code must be for a step within this many of now.
const ENABLE_WINDOW: u64 = 1;
/// `ResyncMFADevice`: how far (in 30-second steps, either way) a device's clock may have drifted.
const RESYNC_WINDOW: u64 = 20;
/// The user name devices of the root user are recorded under (see `crate::mfa::verify_code`).
const ROOT_OWNER: &str = "<root_account>";
/// The issuer shown by authenticator apps.
const ISSUER: &str = "Rampart";
/// Longest `VirtualMFADeviceName` (AWS's documented limit; IAM's model gives none).
const MAX_DEVICE_NAME: usize = 226;
/// Characters kept as they are in an `otpauth://` label.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The MFA device operations of the IAM service.
pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    let serial = On::MfaSerial("SerialNumber");
    vec![
        mop::<shapes::CreateVirtualMFADevice>(iam, On::NewMfa, false, create_virtual),
        mop::<shapes::DeleteVirtualMFADevice>(iam, serial, false, delete_virtual),
        mop::<shapes::ListVirtualMFADevices>(iam, On::Nothing, true, list_virtual),
        mop::<shapes::EnableMFADevice>(iam, On::User("UserName"), false, enable),
        mop::<shapes::DeactivateMFADevice>(iam, On::User("UserName"), false, deactivate),
        mop::<shapes::ResyncMFADevice>(iam, On::User("UserName"), false, resync),
        mop::<shapes::ListMFADevices>(iam, On::User("UserName"), true, list_devices),
        mop::<shapes::GetMFADevice>(iam, On::User("UserName"), true, get_device),
        mop::<shapes::TagMFADevice>(iam, serial, false, tag_device),
        mop::<shapes::UntagMFADevice>(iam, serial, false, untag_device),
        mop::<shapes::ListMFADeviceTags>(iam, serial, true, list_tags),
    ]
}

fn no_device(serial: &str) -> AwsError {
    AwsError::new("NoSuchEntity", 404, format!("VirtualMFADevice with serial number {serial} doesn't exist."))
}

fn not_assigned(serial: &str, user: &str) -> AwsError {
    AwsError::new(
        "NoSuchEntity",
        404,
        format!("MFA Device with serial number {serial} is not enabled for user {user}."),
    )
}

fn invalid_code() -> AwsError {
    AwsError::new("InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
}

/// The store key of device `serial` in `acct`, or `NoSuchEntity`.
fn key_of(acct: &AccountId, serial: &str) -> Result<String, AwsError> {
    device_key(acct, serial).ok_or_else(|| no_device(serial))
}

/// Device `serial` inside a transaction, with its key.
fn load_device(t: &mut dyn Txn, acct: &AccountId, serial: &str) -> Result<(String, MfaDeviceRecord), AwsError> {
    let key = key_of(acct, serial)?;
    let d =
        t.get_json::<MfaDeviceRecord>(IAM, &key)?.filter(|d| d.serial == serial).ok_or_else(|| no_device(serial))?;
    Ok((key, d))
}

/// Device `serial`, read outside a transaction.
fn read_device(iam: &Iam, acct: &AccountId, serial: &str) -> Result<MfaDeviceRecord, AwsError> {
    let key = key_of(acct, serial)?;
    iam.store.get_json::<MfaDeviceRecord>(IAM, &key)?.filter(|d| d.serial == serial).ok_or_else(|| no_device(serial))
}

/// Whose devices an operation is about: `UserName` (which must exist), else the caller's own
/// user, or the root user's devices for the root user.
fn owner(iam: &Iam, call: &Call, user_name: Option<&str>) -> Result<String, AwsError> {
    if let Some(name) = user_name {
        let user: UserRecord =
            iam.get(Kind::User, account(call)?, name)?.ok_or_else(|| no_such_entity("user", name))?;
        return Ok(user.name);
    }
    let caller = call.caller()?;
    match (caller.kind, &caller.name) {
        (PrincipalKind::IamUser, Some(n)) => Ok(n.clone()),
        (PrincipalKind::Root, _) => Ok(ROOT_OWNER.to_owned()),
        _ => Err(invalid_input("Must specify userName when calling with non-User credentials")),
    }
}

/// A date as records keep it (ISO 8601), as IAM's API shapes it.
fn date(text: &str) -> Timestamp {
    Timestamp::parse_iso8601(text).unwrap_or_default()
}

/// The step of the second code when `code1` and `code2` are the codes of two consecutive steps
/// whose second is within `window` steps of `now_step`, both after `last_step`. Every candidate
/// is compared, in constant time.
pub(crate) fn consecutive_step(
    seed: &[u8],
    code1: &str,
    code2: &str,
    now_step: u64,
    window: u64,
    last_step: u64,
) -> Option<u64> {
    let mut found = None;
    for step in now_step.saturating_sub(window).max(1)..=now_step.saturating_add(window) {
        let first = Zeroizing::new(format!("{:06}", totp::code_at(seed, step - 1)));
        let second = Zeroizing::new(format!("{:06}", totp::code_at(seed, step)));
        let eq1 = aws_lc_rs::constant_time::verify_slices_are_equal(first.as_bytes(), code1.as_bytes()).is_ok();
        let eq2 = aws_lc_rs::constant_time::verify_slices_are_equal(second.as_bytes(), code2.as_bytes()).is_ok();
        if eq1 & eq2 & (step - 1 > last_step) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI authenticator apps read from the QR code: label `Rampart:NAME@ACCOUNT`
/// (AWS: `Amazon Web Services:NAME@ACCOUNT`), the base-32 secret and the issuer.
fn otpauth_uri(name: &str, acct: &AccountId, base32: &str) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "otpauth://totp/{ISSUER}:{}@{acct}?secret={base32}&issuer={ISSUER}",
        utf8_percent_encode(name, LABEL)
    ))
}

/// Pixels per QR module and modules of quiet zone around the code.
const QR_SCALE: usize = 6;
const QR_QUIET: usize = 4;

/// A PNG (8-bit grayscale) of the QR code of `text`. The pixels are wiped after encoding; the QR
/// encoder's own module matrix is freed without being wiped (the crate offers no way to).
pub(crate) fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| format!("cannot encode a QR code: {e}"))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET) * QR_SCALE;
    // The image shows the seed: wiped when dropped.
    let mut pixels = Zeroizing::new(vec![0xffu8; side * side]);
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules, i / modules);
        for dy in 0..QR_SCALE {
            let row = ((my + QR_QUIET) * QR_SCALE + dy) * side;
            let start = row + (mx + QR_QUIET) * QR_SCALE;
            pixels[start..start + QR_SCALE].fill(0);
        }
    }
    let side32 = u32::try_from(side).map_err(|_| "QR code too large".to_owned())?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| format!("PNG header: {e}"))?;
    writer.write_image_data(&pixels).map_err(|e| format!("PNG data: {e}"))?;
    writer.finish().map_err(|e| format!("PNG end: {e}"))?;
    Ok(out)
}

fn create_virtual(
    iam: &Iam,
    call: &Call,
    input: shapes::CreateVirtualMFADeviceRequest,
) -> Result<shapes::CreateVirtualMFADeviceResponse, AwsError> {
    let acct = account(call)?;
    let name = input.virtual_mfa_device_name;
    if name.chars().count() > MAX_DEVICE_NAME {
        return Err(constraint(
            "VirtualMFADeviceName",
            &name,
            &format!("Member must have length less than or equal to {MAX_DEVICE_NAME}"),
        ));
    }
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = checked_tags(input.tags)?;
    let serial = entity_arn(acct, "mfa", &path, &name);
    if serial.len() > 256 {
        return Err(AwsError::validation(format!(
            "1 validation error detected: the serial number {serial} would be longer than 256 characters"
        )));
    }
    let mut seed = Zeroizing::new([0u8; SEED_BYTES]);
    fill_random(&mut seed[..]);
    let record = MfaDeviceRecord {
        serial: serial.clone(),
        name: name.clone(),
        path,
        sealed_seed: seal_seed(iam, &serial, &seed[..])?,
        user: None,
        enable_date: None,
        last_step: 0,
        drift_steps: 0,
        create_date: iso_now(),
        tags,
    };
    iam.write(|t| {
        if !t.insert_json(IAM, &Kind::Mfa.key(acct, &name), &record)? {
            return Err(AwsError::new(
                "EntityAlreadyExists",
                409,
                "MFADevice entity at the same path and name already exists.",
            ));
        }
        Ok(())
    })?;
    // The seed leaves Rampart once, in this response; only its sealed form is kept.
    let base32 = Zeroizing::new(totp::base32(&seed[..]));
    let uri = otpauth_uri(&name, acct, &base32);
    let png = Zeroizing::new(qr_png(&uri).map_err(|e| {
        tracing::error!(error = %e, "cannot draw the QR code of a new MFA device");
        AwsError::internal()
    })?);
    // Blobs (botocore `BootstrapDatum`, sensitive): base64 on the wire, zeroized when dropped.
    Ok(shapes::CreateVirtualMFADeviceResponse {
        virtual_mfa_device: shapes::VirtualMFADevice {
            serial_number: serial,
            base32_string_seed: Some(SecretBlob::from(base32.as_bytes().to_vec())),
            qr_code_png: Some(SecretBlob(png)),
            user: None,
            enable_date: None,
            tags: (!record.tags.is_empty()).then(|| tag_shapes(&record.tags)),
        },
    })
}

fn delete_virtual(iam: &Iam, call: &Call, input: shapes::DeleteVirtualMFADeviceRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let serial = &input.serial_number;
    iam.write(|t| {
        let (key, d) = load_device(t, acct, serial)?;
        if d.user.is_some() {
            return Err(delete_conflict("MFA VirtualDevice in use. Must deactivate first."));
        }
        t.delete(IAM, &key)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

fn list_virtual(
    iam: &Iam,
    call: &Call,
    input: shapes::ListVirtualMFADevicesRequest,
) -> Result<shapes::ListVirtualMFADevicesResponse, AwsError> {
    let acct = account(call)?;
    // The model allows only these three.
    let keep: fn(&MfaDeviceRecord) -> bool = match input.assignment_status.as_deref().unwrap_or("Any") {
        "Assigned" => |d| d.user.is_some(),
        "Unassigned" => |d| d.user.is_none(),
        _ => |_| true,
    };
    let max = input.max_items.map_or(100, |n| n as usize);
    let items = scan_kind::<MfaDeviceRecord>(iam, Kind::Mfa, acct, input.marker.as_deref(), keep, max)?;
    let (devices, is_truncated, marker) = page_of(items, max);
    let mut out = Vec::with_capacity(devices.len());
    for d in devices {
        let user = match &d.user {
            Some(name) => iam.get::<UserRecord>(Kind::User, acct, name)?.map(|u| user_shape(&u, false)),
            None => None,
        };
        out.push(shapes::VirtualMFADevice {
            serial_number: d.serial,
            base32_string_seed: None,
            qr_code_png: None,
            user,
            enable_date: d.enable_date.as_deref().map(date),
            tags: (!d.tags.is_empty()).then(|| tag_shapes(&d.tags)),
        });
    }
    Ok(shapes::ListVirtualMFADevicesResponse { virtual_mfa_devices: out, is_truncated: Some(is_truncated), marker })
}

/// The authentication codes of `EnableMFADevice` and `ResyncMFADevice`, checked by the model
/// (six digits, never echoed), wiped when dropped.
fn codes(code1: String, code2: String) -> (Zeroizing<String>, Zeroizing<String>) {
    (Zeroizing::new(code1), Zeroizing::new(code2))
}

fn enable(iam: &Iam, call: &Call, input: shapes::EnableMFADeviceRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let (user_name, serial) = (&input.user_name, &input.serial_number);
    let (code1, code2) = codes(input.authentication_code1, input.authentication_code2);
    let now_step = totp::step_of(iam.clock.now().unix_timestamp());
    iam.write(|t| {
        let user = load_user(t, acct, user_name)?;
        let (key, mut d) = load_device(t, acct, serial)?;
        if d.user.is_some() {
            return Err(AwsError::new("EntityAlreadyExists", 409, "MFA Device is already in use."));
        }
        let mut enabled = 0;
        for (k, bytes) in t.scan(IAM, &Kind::Mfa.prefix(acct), None, usize::MAX)? {
            let other: MfaDeviceRecord = rampart_store::decode(IAM, &k, &bytes)?;
            enabled += usize::from(other.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&user.name)));
        }
        if enabled >= MAX_DEVICES_PER_USER {
            return Err(limit_exceeded(format!("Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}")));
        }
        let seed = open_seed(iam, &d)?;
        let step =
            consecutive_step(&seed, &code1, &code2, now_step, ENABLE_WINDOW, d.last_step).ok_or_else(invalid_code)?;
        d.user = Some(user.name.clone());
        d.enable_date = Some(iso_now());
        d.last_step = step;
        d.drift_steps = 0;
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

fn resync(iam: &Iam, call: &Call, input: shapes::ResyncMFADeviceRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let (user_name, serial) = (&input.user_name, &input.serial_number);
    let (code1, code2) = codes(input.authentication_code1, input.authentication_code2);
    let now_step = totp::step_of(iam.clock.now().unix_timestamp());
    iam.write(|t| {
        let user = load_user(t, acct, user_name)?;
        let (key, mut d) = load_device(t, acct, serial)?;
        if !d.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&user.name)) {
            return Err(not_assigned(serial, &user.name));
        }
        let seed = open_seed(iam, &d)?;
        let step =
            consecutive_step(&seed, &code1, &code2, now_step, RESYNC_WINDOW, d.last_step).ok_or_else(invalid_code)?;
        d.last_step = step;
        // Both sides are far below i64::MAX (steps of 30 s since 1970).
        d.drift_steps = i64::try_from(step).unwrap_or(0) - i64::try_from(now_step).unwrap_or(0);
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

fn deactivate(iam: &Iam, call: &Call, input: shapes::DeactivateMFADeviceRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let serial = &input.serial_number;
    let owner = owner(iam, call, input.user_name.as_deref())?;
    iam.write(|t| {
        let (key, mut d) = load_device(t, acct, serial)?;
        if !d.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&owner)) {
            return Err(not_assigned(serial, &owner));
        }
        d.user = None;
        d.enable_date = None;
        d.drift_steps = 0;
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

fn list_devices(
    iam: &Iam,
    call: &Call,
    input: shapes::ListMFADevicesRequest,
) -> Result<shapes::ListMFADevicesResponse, AwsError> {
    let acct = account(call)?;
    let owner = owner(iam, call, input.user_name.as_deref())?;
    let max = input.max_items.map_or(100, |n| n as usize);
    let keep = |d: &MfaDeviceRecord| d.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&owner));
    let items = scan_kind::<MfaDeviceRecord>(iam, Kind::Mfa, acct, input.marker.as_deref(), keep, max)?;
    let (devices, is_truncated, marker) = page_of(items, max);
    let mfa_devices = devices
        .into_iter()
        .map(|d| shapes::MFADevice {
            user_name: d.user.unwrap_or_default(),
            serial_number: d.serial,
            enable_date: d.enable_date.as_deref().map(date).unwrap_or_default(),
        })
        .collect();
    Ok(shapes::ListMFADevicesResponse { mfa_devices, is_truncated: Some(is_truncated), marker })
}

fn get_device(
    iam: &Iam,
    call: &Call,
    input: shapes::GetMFADeviceRequest,
) -> Result<shapes::GetMFADeviceResponse, AwsError> {
    let acct = account(call)?;
    let serial = &input.serial_number;
    let owner = owner(iam, call, input.user_name.as_deref())?;
    let d = read_device(iam, acct, serial)?;
    if !d.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&owner)) {
        return Err(not_assigned(serial, &owner));
    }
    Ok(shapes::GetMFADeviceResponse {
        user_name: Some(owner),
        serial_number: d.serial,
        enable_date: d.enable_date.as_deref().map(date),
        ..Default::default()
    })
}

fn tag_device(iam: &Iam, call: &Call, input: shapes::TagMFADeviceRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let serial = &input.serial_number;
    let tags = checked_tags(Some(input.tags))?;
    iam.write(|t| {
        let (key, mut d) = load_device(t, acct, serial)?;
        merge_tags(&mut d.tags, tags.clone())?;
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

fn untag_device(iam: &Iam, call: &Call, input: shapes::UntagMFADeviceRequest) -> Result<Empty, AwsError> {
    let acct = account(call)?;
    let serial = &input.serial_number;
    iam.write(|t| {
        let (key, mut d) = load_device(t, acct, serial)?;
        untag(&mut d.tags, &input.tag_keys);
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(Empty::default())
}

fn list_tags(
    iam: &Iam,
    call: &Call,
    input: shapes::ListMFADeviceTagsRequest,
) -> Result<shapes::ListMFADeviceTagsResponse, AwsError> {
    let acct = account(call)?;
    let d = read_device(iam, acct, &input.serial_number)?;
    Ok(shapes::ListMFADeviceTagsResponse { tags: tag_shapes(&d.tags), is_truncated: Some(false), marker: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &[u8] = b"12345678901234567890";

    fn code(step: u64) -> String {
        format!("{:06}", totp::code_at(SEED, step))
    }

    #[test]
    fn enabling_takes_two_consecutive_recent_codes() {
        let now = 50_000_000;
        assert_eq!(consecutive_step(SEED, &code(now - 1), &code(now), now, ENABLE_WINDOW, 0), Some(now));
        assert_eq!(consecutive_step(SEED, &code(now), &code(now + 1), now, ENABLE_WINDOW, 0), Some(now + 1));
        // Not consecutive, reversed, too old, or already used.
        assert_eq!(consecutive_step(SEED, &code(now - 2), &code(now), now, ENABLE_WINDOW, 0), None);
        assert_eq!(consecutive_step(SEED, &code(now), &code(now - 1), now, ENABLE_WINDOW, 0), None);
        assert_eq!(consecutive_step(SEED, &code(now - 5), &code(now - 4), now, ENABLE_WINDOW, 0), None);
        assert_eq!(consecutive_step(SEED, &code(now - 1), &code(now), now, ENABLE_WINDOW, now - 1), None);
        // A drifted device is found by resync's wider window.
        assert_eq!(consecutive_step(SEED, &code(now + 11), &code(now + 12), now, RESYNC_WINDOW, 0), Some(now + 12));
        assert_eq!(consecutive_step(SEED, "12345", &code(now), now, RESYNC_WINDOW, 0), None);
    }

    /// `query` read and checked by the model layer as the pipeline reads a request of `op`.
    fn checked(op: &str, query: &str) -> Result<serde_json::Value, AwsError> {
        let model = crate::api::model();
        let q = rampart_wire::query::QueryParams::parse(query, b"").unwrap();
        rampart_wire::model::parse_input(&model, model.operation(op).unwrap(), rampart_wire::Input::Query(q))
    }

    #[test]
    fn codes_are_six_digits_and_never_echoed() {
        let serial = "SerialNumber=arn:aws:iam::111122223333:mfa/alice&UserName=alice";
        for (c1, c2) in [("12345", "123456"), ("123456", "12345a"), ("1234567", "123456")] {
            for op in ["EnableMFADevice", "ResyncMFADevice"] {
                let e =
                    checked(op, &format!("{serial}&AuthenticationCode1={c1}&AuthenticationCode2={c2}")).unwrap_err();
                assert_eq!(e.code(), "ValidationError");
                assert!(!e.message().contains("12345"), "{}", e.message());
                assert!(e.message().contains("Value at 'authenticationCode"), "{}", e.message());
            }
        }
        assert!(
            checked("EnableMFADevice", &format!("{serial}&AuthenticationCode1=123456&AuthenticationCode2=654321"))
                .is_ok()
        );
    }

    #[test]
    fn serial_numbers_are_checked() {
        let q = |s: &str| checked("DeleteVirtualMFADevice", &format!("SerialNumber={s}"));
        assert!(q("arn:aws:iam::111122223333:mfa/alice").is_ok());
        assert!(q("short").is_err());
        assert!(q("arn:aws:iam::111122223333:mfa/a%20b").is_err());
        let acct = AccountId::parse("111122223333").unwrap();
        assert_eq!(key_of(&acct, "arn:aws:iam::111122223333:mfa/team/Alice").unwrap(), Kind::Mfa.key(&acct, "alice"));
        assert_eq!(key_of(&acct, "arn:aws:iam::444455556666:mfa/alice").unwrap_err().code(), "NoSuchEntity");
    }

    #[test]
    fn otpauth_uri_names_the_device_and_account() {
        let acct = AccountId::parse("111122223333").unwrap();
        let uri = otpauth_uri("alice+phone", &acct, "JBSWY3DPEHPK3PXP");
        assert_eq!(&*uri, "otpauth://totp/Rampart:alice%2Bphone@111122223333?secret=JBSWY3DPEHPK3PXP&issuer=Rampart");
    }

    #[test]
    fn qr_code_is_a_valid_png_of_the_code() {
        let text = "otpauth://totp/Rampart:alice@111122223333?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Rampart";
        let png_bytes = qr_png(text).unwrap();
        assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
        // Decode it back (the png crate decodes too) and compare every module with the QR code.
        let decoder = png::Decoder::new(std::io::Cursor::new(&png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Grayscale, png::BitDepth::Eight));
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
        let modules = code.width();
        let side = (modules + 2 * QR_QUIET) * QR_SCALE;
        assert_eq!((info.width as usize, info.height as usize), (side, side));
        let colors = code.to_colors();
        for my in 0..modules {
            for mx in 0..modules {
                let px =
                    buf[((my + QR_QUIET) * QR_SCALE + QR_SCALE / 2) * side + (mx + QR_QUIET) * QR_SCALE + QR_SCALE / 2];
                let dark = colors[my * modules + mx] == qrcode::Color::Dark;
                assert_eq!(px == 0, dark, "module ({mx}, {my})");
            }
        }
        // The quiet zone is white.
        assert!(buf[..side * QR_QUIET * QR_SCALE].iter().all(|&p| p == 0xff));
    }
}
