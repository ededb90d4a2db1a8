namespace Doctor.Core.Tests.Storage.Sqlite;

/// <summary>The outbox contract over the embedded SQLite store.</summary>
public sealed class SqliteOutboxStoreTests() : OutboxStoreContractTests(new SqliteBackend());
