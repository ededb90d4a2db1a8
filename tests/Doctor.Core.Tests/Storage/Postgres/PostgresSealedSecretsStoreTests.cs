using Doctor.Testing;

namespace Doctor.Core.Tests.Storage.Postgres;

/// <summary>The sealed-secrets contract over PostgreSQL (a real server, started once per run).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSealedSecretsStoreTests(PostgresServer server) : SealedSecretsStoreContractTests(new PostgresBackend(server));
