using System.Security.Cryptography;

namespace Doctor.Secrets;

/// <summary>
/// The 256-bit key that seals webhook secrets at rest: from <c>DOCTOR_SECRET_KEY</c> (base64) when set, otherwise
/// the file <c>secret.key</c> in the data directory, created with mode 0600 on the first start.
/// </summary>
public static class SecretKeys
{
    public const int KeyBytes = 32;

    /// <summary>The key file's name in the data directory.</summary>
    public const string FileName = "secret.key";

    /// <summary>Environment variable that provides the key instead of the file (base64 of 32 bytes).</summary>
    public const string Variable = "DOCTOR_SECRET_KEY";

    /// <summary>Decodes a configured key.</summary>
    /// <exception cref="FormatException">Not base64 of exactly 32 bytes.</exception>
    public static byte[] Parse(string base64)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException($"a secret key must be base64 of {KeyBytes} random bytes (e.g. `openssl rand -base64 {KeyBytes}`)");
        }

        if (key.Length != KeyBytes)
            throw new FormatException($"a secret key must be {KeyBytes} bytes; this one is {key.Length}");
        return key;
    }

    /// <summary>
    /// Reads <c>secret.key</c> from <paramref name="dataDirectory"/>, or creates it with a new random key.
    /// The file holds base64 text so that it can be moved into <see cref="Variable"/> as is.
    /// </summary>
    /// <param name="created">True when this call made the file.</param>
    public static byte[] LoadOrCreate(string dataDirectory, out bool created)
    {
        var path = Path.Combine(dataDirectory, FileName);
        created = false;
        if (!File.Exists(path))
        {
            var key = RandomNumberGenerator.GetBytes(KeyBytes);
            try
            {
                // CreateNew with the mode given at creation: the key is never readable by others, not even for a moment,
                // and two processes racing on one directory cannot both write a key.
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using (var file = new FileStream(path, options))
                using (var writer = new StreamWriter(file))
                {
                    writer.WriteLine(Convert.ToBase64String(key));
                    writer.Flush();
                    file.Flush(flushToDisk: true);
                }

                created = true;
                return key;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use that one.
            }
        }

        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"{path} is damaged ({ex.Message}); restore it from a backup or set {Variable}", ex);
        }
    }

    /// <summary>Whether the key file grants any access to group or others (it was created 0600; somebody widened it).</summary>
    public static bool IsExposed(string dataDirectory)
    {
        if (OperatingSystem.IsWindows())
            return false;
        var path = Path.Combine(dataDirectory, FileName);
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
            UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        return File.Exists(path) && (File.GetUnixFileMode(path) & others) != 0;
    }
}
