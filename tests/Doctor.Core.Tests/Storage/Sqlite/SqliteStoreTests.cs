namespace Doctor.Core.Tests.Storage.Sqlite;

/// <summary>The store contract over the embedded SQLite store.</summary>
public sealed class SqliteStoreTests() : StoreContractTests(new SqliteBackend());
