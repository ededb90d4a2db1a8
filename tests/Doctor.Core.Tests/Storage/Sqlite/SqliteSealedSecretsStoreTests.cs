namespace Doctor.Core.Tests.Storage.Sqlite;

/// <summary>The sealed-secrets contract over the embedded SQLite store.</summary>
public sealed class SqliteSealedSecretsStoreTests() : SealedSecretsStoreContractTests(new SqliteBackend());
