using System.Text;

namespace Doctor.Inspection;

/// <summary>
/// Reads failure policy files (YAML, or JSON, which is YAML): the format is documented in docs/operations.md
/// ("Failure policy"). Every problem is collected, not only the first, so an operator fixes a file in one go.
/// </summary>
public static class PolicyFile
{
    /// <summary>The only format version this Doctor reads.</summary>
    public const int Version = 1;

    /// <summary>Reads and validates the file at <paramref name="path"/>; throws <see cref="PolicyFileException"/> naming every problem.</summary>
    public static FailurePolicy Load(string path) => Parse(ReadText(path), path);

    /// <summary>Validates <paramref name="text"/>; <paramref name="file"/> names it in the exception.</summary>
    public static FailurePolicy Parse(string text, string file)
    {
        if (Encoding.UTF8.GetByteCount(text) > DoctorConstants.MaxPolicyFileBytes)
            throw new PolicyFileException(file, [TooLarge]);
        var (policy, errors) = PolicyReader.Read(text);
        return policy ?? throw new PolicyFileException(file, errors);
    }

    private static string TooLarge => $"the file is larger than {DoctorConstants.MaxPolicyFileBytes / 1024 / 1024} MiB";

    private static string ReadText(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            // Read one byte past the limit rather than trusting the length: the file may grow while it is read.
            var buffer = new byte[DoctorConstants.MaxPolicyFileBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
                length += read;
            if (length > DoctorConstants.MaxPolicyFileBytes)
                throw new PolicyFileException(path, [TooLarge]);
            var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            var text = strict.GetString(buffer, 0, length);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException)
        {
            throw new PolicyFileException(path, ["the file is not valid UTF-8"]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new PolicyFileException(path, [$"cannot be read: {ex.Message}"]);
        }
    }
}
