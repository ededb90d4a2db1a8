using Doctor.Secrets;
using Microsoft.Extensions.Logging;

namespace Doctor.Storage;

/// <summary>
/// The key that seals webhook secrets when none is configured: <c>secret.key</c> in the data directory, for either
/// store (a PostgreSQL deployment keeps it on the Doctor host, apart from the database it protects).
/// </summary>
internal static partial class StoreSecrets
{
    public static SecretSealer OpenKeyFile(string dataDirectory, ILogger logger)
    {
        var key = SecretKeys.LoadOrCreate(dataDirectory, out var created);
        if (created)
            LogKeyCreated(logger, Path.Combine(dataDirectory, SecretKeys.FileName));
        else if (SecretKeys.IsExposed(dataDirectory))
            LogKeyExposed(logger, Path.Combine(dataDirectory, SecretKeys.FileName));
        return new SecretSealer(key);
    }

    /// <summary>Creates the data directory private to the service's user: it holds the secret key (and SQLite's files).</summary>
    public static void CreateDataDirectory(string dataDirectory)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(dataDirectory);
        else
            Directory.CreateDirectory(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Path}, the key that encrypts webhook secrets at rest; back it up apart from the store")]
    private static partial void LogKeyCreated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} is readable by other users; it should be mode 0600 (chmod 600)")]
    private static partial void LogKeyExposed(ILogger logger, string path);
}
