//! Sharing an incident read-only: tokens, the server that streams the journal, and the
//! follower that shows it in a console.

mod feed;
pub mod follower;
pub mod server;
pub mod tls;
pub mod tokens;

/// The lines the leader pastes in chat. The token is glued to its flag (`--token=…`): about
/// one token in 64 starts with `-`, which a shell command line would read as an option.
pub fn follow_lines(base: &str, id: &str, token: &str) -> String {
    format!(
        "warroom follow {base}/v1/incidents/{id} --token={token}\nstatus page: {base}/#{id}:{token}"
    )
}
