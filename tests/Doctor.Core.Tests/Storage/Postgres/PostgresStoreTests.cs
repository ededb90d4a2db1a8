using Doctor.Testing;

namespace Doctor.Core.Tests.Storage.Postgres;

/// <summary>The store contract over PostgreSQL (a real server, started once per run).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server) : StoreContractTests(new PostgresBackend(server));
