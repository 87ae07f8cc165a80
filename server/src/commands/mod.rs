//! What each `hookyard` subcommand does; `main.rs` dispatches here.

pub mod access;
pub mod endpoint;
pub mod master_key;
pub mod payments;
pub mod replay;
pub mod send;
pub mod serve;
pub mod source;

use crate::cli::{
    Cli, Command, EndpointCommand, PaymentsCommand, SourceCommand, TokenCommand, UserCommand,
};

/// Runs the parsed command line.
pub async fn run(cli: &Cli) -> anyhow::Result<()> {
    let db = &cli.global.database_url;
    match &cli.command {
        Command::Serve(args) => serve::serve(args, db).await,
        Command::Migrate => serve::migrate(db).await,
        Command::Source(SourceCommand::Add(args)) => source::add(args, db).await,
        Command::Source(SourceCommand::List) => source::list(db).await,
        Command::Source(SourceCommand::RotateSecret(args)) => source::rotate(args, db).await,
        Command::Send(args) => send::send(args, db).await,
        Command::Endpoint(EndpointCommand::Add(args)) => endpoint::add(args, db).await,
        Command::Endpoint(EndpointCommand::List) => endpoint::list(db).await,
        Command::Endpoint(EndpointCommand::Pause(a)) => endpoint::set_state(a, "paused", db).await,
        Command::Endpoint(EndpointCommand::Resume(a) | EndpointCommand::Enable(a)) => {
            endpoint::set_state(a, "enabled", db).await
        }
        Command::Endpoint(EndpointCommand::Disable(a)) => {
            endpoint::set_state(a, "disabled", db).await
        }
        Command::Endpoint(EndpointCommand::RotateSecret(a)) => endpoint::rotate(a, db).await,
        Command::Payments(PaymentsCommand::Rebuild) => payments::rebuild(db).await,
        Command::Replay(args) => replay::replay(args, db).await,
        Command::User(UserCommand::Add(args)) => access::add_user(args, db).await,
        Command::User(UserCommand::List) => access::list_users(db).await,
        Command::User(UserCommand::SetRole(args)) => access::set_role(args, db).await,
        Command::User(UserCommand::Disable(args)) => access::set_disabled(args, true, db).await,
        Command::User(UserCommand::Enable(args)) => access::set_disabled(args, false, db).await,
        Command::User(UserCommand::ResetPassword(args)) => access::reset_password(args, db).await,
        Command::Token(TokenCommand::Create(args)) => access::create_token(args, db).await,
        Command::Token(TokenCommand::List) => access::list_tokens(db).await,
        Command::Token(TokenCommand::Revoke(args)) => access::revoke_token(args, db).await,
        Command::RotateMasterKey(args) => master_key::rotate(args, db).await,
        Command::GenerateMasterKey => master_key::generate(),
        Command::GenerateAlertSecret => {
            use hookyard_core::ingest::scheme::{generate_secret, Scheme};
            println!("{}", generate_secret(Scheme::Standard));
            Ok(())
        }
    }
}
