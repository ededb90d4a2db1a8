using Doctor.Testing;

namespace Doctor.Core.Tests.Storage.Postgres;

/// <summary>The maintenance contract over PostgreSQL (a real server, started once per run).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMaintenanceStoreTests(PostgresServer server) : MaintenanceStoreContractTests(new PostgresBackend(server));
