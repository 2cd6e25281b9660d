//! Template helpers: `uuid`, `now` (RFC 3339, or `now "%Y%m%d"`), `digits N` (N random digits)
//! `json` (a value as compact JSON) and `has "name"` (true when a variable is set and not null:
//! strict mode makes `{{#if missing}}` an error, and clean-up steps need to ask). handlebars' built-ins (eq, ne, gt, and, or, not, len...)
//! stay available for `if:` conditions.

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};

pub fn register(registry: &mut Handlebars<'static>) {
    registry.register_helper("uuid", Box::new(uuid_helper));
    registry.register_helper("now", Box::new(now_helper));
    registry.register_helper("digits", Box::new(digits_helper));
    registry.register_helper("json", Box::new(json_helper));
    registry.register_helper("has", Box::new(has_helper));
}

fn uuid_helper(
    _: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&uuid::Uuid::new_v4().to_string())?;
    Ok(())
}

fn now_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let now = chrono::Utc::now();
    let text = match h.param(0).and_then(|p| p.value().as_str()) {
        Some(fmt) => {
            // chrono's formatter fails on a specifier it does not know (`%Q`, a lone `%`), and
            // `to_string` would turn that into a panic: the case's text is user input.
            use std::fmt::Write as _;
            let mut text = String::new();
            write!(text, "{}", now.format(fmt)).map_err(|_| {
                RenderErrorReason::Other(format!(
                    "now: `{fmt}` is not a date format (strftime, e.g. {{{{now \"%Y%m%d\"}}}})"
                ))
            })?;
            text
        }
        None => now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    out.write(&text)?;
    Ok(())
}

fn digits_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let n = h.param(0).and_then(|p| p.value().as_u64()).ok_or_else(|| {
        RenderErrorReason::Other("digits needs a count, e.g. {{digits 8}}".into())
    })?;
    if n == 0 || n > 64 {
        return Err(RenderErrorReason::Other("digits takes a count from 1 to 64".into()).into());
    }
    // uuid v4 bytes are from the OS's random source; no extra RNG crate needed.
    let mut text = String::with_capacity(n as usize);
    while text.len() < n as usize {
        for b in uuid::Uuid::new_v4().as_bytes() {
            if text.len() < n as usize && *b < 250 {
                text.push(char::from(b'0' + b % 10));
            }
        }
    }
    out.write(&text)?;
    Ok(())
}

fn json_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h.param(0).map(|p| p.value().clone()).ok_or_else(|| {
        RenderErrorReason::Other("json needs a value, e.g. {{json payment}}".into())
    })?;
    out.write(&value.to_string())?;
    Ok(())
}

fn has_helper(
    h: &Helper,
    _: &Handlebars,
    ctx: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let name = h.param(0).and_then(|p| p.value().as_str()).ok_or_else(|| {
        RenderErrorReason::Other("has needs a quoted name, e.g. {{has \"posId\"}}".into())
    })?;
    let set = crate::template::lookup(ctx.data(), name).is_some_and(|v| !v.is_null());
    out.write(if set { "true" } else { "false" })?;
    Ok(())
}
