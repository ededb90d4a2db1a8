namespace Doctor.Core.Tests.Storage.Sqlite;

/// <summary>The maintenance contract over the embedded store.</summary>
public sealed class SqliteMaintenanceStoreTests() : MaintenanceStoreContractTests(new SqliteBackend());
