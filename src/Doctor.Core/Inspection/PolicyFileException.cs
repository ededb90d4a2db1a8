namespace Doctor.Inspection;

/// <summary>A policy file that cannot be put in force, with every problem found, each naming its place.</summary>
public sealed class PolicyFileException(string file, IReadOnlyList<string> errors)
    : Exception($"policy file {file} is invalid ({errors.Count} {(errors.Count == 1 ? "problem" : "problems")}):{Environment.NewLine}"
        + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    /// <summary>The path (or name) of the file that was read.</summary>
    public string File { get; } = file;

    public IReadOnlyList<string> Errors { get; } = errors;
}
