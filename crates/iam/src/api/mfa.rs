//! Virtual MFA devices: created with a random TOTP seed (sealed by the keystore; shown once, as
//! base-32 text and as a QR code), enabled for a user with two consecutive codes, then checked
//! by STS (`GetSessionToken`, `AssumeRole` with `SerialNumber`/`TokenCode`).
//!
//! Devices of the root user are not supported: `EnableMFADevice` takes an IAM user.

use super::{On, account, op};
use crate::accounts::iso_now;
use crate::api::users::{load_user, scan_kind, write_user};
use crate::mfa::{device_key, open_seed, seal_seed};
use crate::model::{IAM, Kind, MfaDeviceRecord, UserRecord};
use crate::state::Iam;
use crate::totp;
use crate::util::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rampart_core::ids::{AccountId, fill_random};
use rampart_core::{AwsError, PrincipalKind};
use rampart_store::{StoreExt, Txn, TxnExt};
use rampart_wire::query::QueryParams;
use rampart_wire::xml::XmlWriter;
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
/// Characters kept as they are in an `otpauth://` label.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The MFA device operations of the IAM service.
pub(super) fn operations(iam: &Arc<Iam>) -> Vec<Operation> {
    let serial = On::MfaSerial("SerialNumber");
    vec![
        op(iam, "CreateVirtualMFADevice", On::NewMfa, false, create_virtual),
        op(iam, "DeleteVirtualMFADevice", serial, false, delete_virtual),
        op(iam, "ListVirtualMFADevices", On::Nothing, true, list_virtual),
        op(iam, "EnableMFADevice", On::User("UserName"), false, enable),
        op(iam, "DeactivateMFADevice", On::User("UserName"), false, deactivate),
        op(iam, "ResyncMFADevice", On::User("UserName"), false, resync),
        op(iam, "ListMFADevices", On::User("UserName"), true, list_devices),
        op(iam, "GetMFADevice", On::User("UserName"), true, get_device),
        op(iam, "TagMFADevice", serial, false, tag_device),
        op(iam, "UntagMFADevice", serial, false, untag_device),
        op(iam, "ListMFADeviceTags", serial, true, list_tags),
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

/// `SerialNumber`: 9 to 256 characters of `[\w+=/:,.@-]`.
fn serial_param(q: &QueryParams) -> Result<&str, AwsError> {
    let s = q.require("SerialNumber")?;
    let rule = if !(9..=256).contains(&s.len()) {
        "Member must have length between 9 and 256"
    } else if !s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c)) {
        "Member must satisfy regular expression pattern: [\\w+=/:,.@-]+"
    } else {
        return Ok(s);
    };
    Err(AwsError::validation(format!(
        "1 validation error detected: Value '{s}' at 'serialNumber' failed to satisfy constraint: {rule}"
    )))
}

/// An authentication code parameter: six digits. Codes are secrets: never echoed.
fn code_param<'q>(q: &'q QueryParams, name: &str) -> Result<&'q str, AwsError> {
    let code = q.require(name)?;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be 6 digits",
            rampart_wire::query::lower_first(name)
        )));
    }
    Ok(code)
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
fn owner(iam: &Iam, call: &Call, q: &QueryParams) -> Result<String, AwsError> {
    if q.get("UserName").is_some() {
        let name = name_param(q, "UserName", 128)?;
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

fn create_virtual(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let name = name_param(q, "VirtualMFADeviceName", 226)?;
    let path = path_param(q, "Path")?;
    let tags = tags_param(q, "Tags")?;
    let serial = entity_arn(acct, "mfa", &path, name);
    if serial.len() > 256 {
        return Err(AwsError::validation(format!(
            "1 validation error detected: the serial number {serial} would be longer than 256 characters"
        )));
    }
    let mut seed = Zeroizing::new([0u8; SEED_BYTES]);
    fill_random(&mut seed[..]);
    let record = MfaDeviceRecord {
        serial: serial.clone(),
        name: name.to_owned(),
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
        if !t.insert_json(IAM, &Kind::Mfa.key(acct, name), &record)? {
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
    let uri = otpauth_uri(name, acct, &base32);
    let png = Zeroizing::new(qr_png(&uri).map_err(|e| {
        tracing::error!(error = %e, "cannot draw the QR code of a new MFA device");
        AwsError::internal()
    })?);
    let mut w = XmlWriter::new();
    w.open("VirtualMFADevice").element("SerialNumber", &serial);
    // Blobs (botocore `BootstrapDatum`): base64 on the wire.
    w.element("Base32StringSeed", &Zeroizing::new(B64.encode(base32.as_bytes())));
    w.element("QRCodePNG", &Zeroizing::new(B64.encode(&*png)));
    write_tags(&mut w, &record.tags, true);
    w.close("VirtualMFADevice");
    Ok(w.finish())
}

fn delete_virtual(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let acct = account(call)?;
    let serial = serial_param(call.query())?;
    iam.write(|t| {
        let (key, d) = load_device(t, acct, serial)?;
        if d.user.is_some() {
            return Err(delete_conflict("MFA VirtualDevice in use. Must deactivate first."));
        }
        t.delete(IAM, &key)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn list_virtual(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let status = q.get("AssignmentStatus").unwrap_or("Any");
    let keep: fn(&MfaDeviceRecord) -> bool = match status {
        "Any" => |_| true,
        "Assigned" => |d| d.user.is_some(),
        "Unassigned" => |d| d.user.is_none(),
        other => {
            return Err(AwsError::validation(format!(
                "1 validation error detected: Value '{other}' at 'assignmentStatus' failed to satisfy constraint: \
                 Member must satisfy enum value set: [Unassigned, Any, Assigned]"
            )));
        }
    };
    let (max, marker) = paging(q)?;
    let items = scan_kind::<MfaDeviceRecord>(iam, Kind::Mfa, acct, marker.as_deref(), keep, max)?;
    let mut tail = XmlWriter::new();
    let devices = page(items, max, &mut tail);
    let mut w = XmlWriter::new();
    w.open("VirtualMFADevices");
    for d in &devices {
        w.open("member").element("SerialNumber", &d.serial);
        if let Some(name) = &d.user
            && let Some(user) = iam.get::<UserRecord>(Kind::User, acct, name)?
        {
            write_user(&mut w, "User", &user, false);
        }
        w.optional("EnableDate", d.enable_date.as_deref());
        write_tags(&mut w, &d.tags, true);
        w.close("member");
    }
    w.close("VirtualMFADevices");
    Ok(w.finish() + &tail.finish())
}

fn enable(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let user_name = name_param(q, "UserName", 128)?;
    let serial = serial_param(q)?;
    let code1 = code_param(q, "AuthenticationCode1")?;
    let code2 = code_param(q, "AuthenticationCode2")?;
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
            consecutive_step(&seed, code1, code2, now_step, ENABLE_WINDOW, d.last_step).ok_or_else(invalid_code)?;
        d.user = Some(user.name.clone());
        d.enable_date = Some(iso_now());
        d.last_step = step;
        d.drift_steps = 0;
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn resync(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let user_name = name_param(q, "UserName", 128)?;
    let serial = serial_param(q)?;
    let code1 = code_param(q, "AuthenticationCode1")?;
    let code2 = code_param(q, "AuthenticationCode2")?;
    let now_step = totp::step_of(iam.clock.now().unix_timestamp());
    iam.write(|t| {
        let user = load_user(t, acct, user_name)?;
        let (key, mut d) = load_device(t, acct, serial)?;
        if !d.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&user.name)) {
            return Err(not_assigned(serial, &user.name));
        }
        let seed = open_seed(iam, &d)?;
        let step =
            consecutive_step(&seed, code1, code2, now_step, RESYNC_WINDOW, d.last_step).ok_or_else(invalid_code)?;
        d.last_step = step;
        // Both sides are far below i64::MAX (steps of 30 s since 1970).
        d.drift_steps = i64::try_from(step).unwrap_or(0) - i64::try_from(now_step).unwrap_or(0);
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn deactivate(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let serial = serial_param(q)?;
    let owner = owner(iam, call, q)?;
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
    Ok(String::new())
}

fn list_devices(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let owner = owner(iam, call, q)?;
    let (max, marker) = paging(q)?;
    let keep = |d: &MfaDeviceRecord| d.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&owner));
    let items = scan_kind::<MfaDeviceRecord>(iam, Kind::Mfa, acct, marker.as_deref(), keep, max)?;
    let mut tail = XmlWriter::new();
    let devices = page(items, max, &mut tail);
    let mut w = XmlWriter::new();
    w.open("MFADevices");
    for d in &devices {
        w.open("member")
            .element("UserName", d.user.as_deref().unwrap_or_default())
            .element("SerialNumber", &d.serial)
            .optional("EnableDate", d.enable_date.as_deref())
            .close("member");
    }
    w.close("MFADevices");
    Ok(w.finish() + &tail.finish())
}

fn get_device(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let serial = serial_param(q)?;
    let owner = owner(iam, call, q)?;
    let d = read_device(iam, acct, serial)?;
    if !d.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(&owner)) {
        return Err(not_assigned(serial, &owner));
    }
    let mut w = XmlWriter::new();
    w.element("UserName", &owner).element("SerialNumber", &d.serial);
    w.optional("EnableDate", d.enable_date.as_deref());
    Ok(w.finish())
}

fn tag_device(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let serial = serial_param(q)?;
    let tags = tags_param(q, "Tags")?;
    iam.write(|t| {
        let (key, mut d) = load_device(t, acct, serial)?;
        merge_tags(&mut d.tags, tags.clone())?;
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn untag_device(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let serial = serial_param(q)?;
    let keys = tag_keys_param(q)?;
    iam.write(|t| {
        let (key, mut d) = load_device(t, acct, serial)?;
        untag(&mut d.tags, &keys);
        t.put_json(IAM, &key, &d)?;
        Ok(())
    })?;
    Ok(String::new())
}

fn list_tags(iam: &Iam, call: &Call) -> Result<String, AwsError> {
    let q = call.query();
    let acct = account(call)?;
    let serial = serial_param(q)?;
    let d = read_device(iam, acct, serial)?;
    let mut w = XmlWriter::new();
    write_tags(&mut w, &d.tags, false);
    w.element("IsTruncated", "false");
    Ok(w.finish())
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

    #[test]
    fn codes_are_six_digits_and_never_echoed() {
        let q = QueryParams::parse("AuthenticationCode1=12345&AuthenticationCode2=12345a&Ok=123456", b"").unwrap();
        let e = code_param(&q, "AuthenticationCode1").unwrap_err();
        assert_eq!(e.code(), "ValidationError");
        assert!(!e.message().contains("12345"));
        assert!(code_param(&q, "AuthenticationCode2").is_err());
        assert_eq!(code_param(&q, "Ok").unwrap(), "123456");
    }

    #[test]
    fn serial_numbers_are_checked() {
        let q = |s: &str| QueryParams::parse(&format!("SerialNumber={s}"), b"").unwrap();
        assert!(serial_param(&q("arn:aws:iam::111122223333:mfa/alice")).is_ok());
        assert!(serial_param(&q("short")).is_err());
        assert!(serial_param(&q("arn:aws:iam::111122223333:mfa/a%20b")).is_err());
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
