//! `warroom share ID [--rotate | --revoke]`, `warroom serve`, and `warroom follow URL --token=T`.

use super::{Context, Failure};
use crate::journal::Journal;
use crate::share::{server, tokens};
use chrono::{DateTime, Utc};

fn share_config(ctx: &Context) -> Result<crate::config::ShareConfig, Failure> {
    ctx.config_for("share", &["share"])?.share.ok_or_else(|| {
        Failure::bad_input(format!(
            "{}: no [share] section; set listen = \"127.0.0.1:7420\" to share incidents read-only",
            ctx.paths.config_file.display()
        ))
    })
}

pub fn share(
    ctx: &Context,
    now: DateTime<Utc>,
    id: &str,
    rotate: bool,
    revoke: bool,
) -> Result<(), Failure> {
    let store = ctx.store()?;
    let journal = store.open(id)?;
    let id = journal.id().to_string();
    // Share records are kept with the incidents, for every share server on the store.
    let shares = store.shares();
    if revoke {
        let had = shares.remove(&id)?;
        say!(
            "{id}: {}",
            if had {
                "sharing revoked; open streams close within a second"
            } else {
                "was not shared"
            }
        );
        return Ok(());
    }
    let config = share_config(ctx)?;
    // A record that cannot be read is no reason to issue a new token (that would cut off
    // every follower): say so and stop.
    let current = shares
        .load(&id)
        .map_err(|e| Failure::runtime(format!("cannot read the share record: {e}")))?;
    if let Some(existing) = current
        && !rotate
    {
        say!(
            "{id} is shared since {} (by {}). Only the token's hash is kept, so it cannot be shown again;\n`warroom share {id} --rotate` issues a new one (the old one stops working).",
            existing.created_at.format("%Y-%m-%d %H:%M UTC"),
            existing.created_by
        );
        return Ok(());
    }
    let token =
        tokens::issue_to(shares.as_ref(), &id, &ctx.author, now).map_err(Failure::runtime)?;
    say!(
        "{}",
        crate::share::follow_lines(&config.base_url(), &id, &token)
    );
    Ok(())
}

pub fn serve(ctx: &Context) -> Result<(), Failure> {
    let config = share_config(ctx)?;
    let intake = crate::intake::Intake::from_config(
        &ctx.config_for("serve", &["share", "intake"])?,
        &ctx.paths.data_dir,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start: {e}")))?;
    runtime.block_on(async {
        let config_dir = ctx.paths.config_dir();
        let (listener, tls) = server::bind(&config, config_dir).await.map_err(|(bad_config, why)| {
            if bad_config {
                Failure::bad_input(format!("{}: {why}", ctx.paths.config_file.display()))
            } else {
                Failure::runtime(why)
            }
        })?;
        let hub = server::Hub::new(ctx.store()?.clone(), &ctx.paths.data_dir);
        // No console here computes alerts or a blast radius: followers are told so.
        hub.publish_views(server::NO_VIEWS.to_string());
        if let Some((intake, problems)) = intake {
            for p in problems {
                say_err!("warroom: {p}");
            }
            hub.set_intake(std::sync::Arc::new(intake));
        }
        let actual = listener
            .local_addr()
            .map_or_else(|_| config.listen.get_ref().clone(), |a| a.to_string());
        say_err!(
            "warroom: sharing read-only on {} ({actual}{}; ctrl-c stops)",
            config.base_url(),
            if tls.is_some() { ", TLS" } else { "" }
        );
        let stop = async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
            }
        };
        server::serve_with(listener, hub, tls, stop)
            .await
            .map_err(|e| Failure::runtime(format!("share server: {e}")))
    })
}
