using Doctor.Testing;

namespace Doctor.Core.Tests.Storage.Postgres;

/// <summary>The outbox contract over PostgreSQL (a real server, started once per run).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresOutboxStoreTests(PostgresServer server) : OutboxStoreContractTests(new PostgresBackend(server));
