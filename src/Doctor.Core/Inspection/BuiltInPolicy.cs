namespace Doctor.Inspection;

/// <summary>
/// The policy Doctor runs when no policy file is configured: <c>default-policy.yaml</c>, embedded and read by the
/// same reader as operators' files, so the built-in rules can never use a feature a file cannot express.
/// </summary>
internal static class BuiltInPolicy
{
    /// <summary>Name of the embedded resource (and of the source in <c>GET /v1/policy</c>'s terms, "built-in").</summary>
    public const string ResourceName = "Doctor.Inspection.default-policy.yaml";

    private static readonly Lazy<FailurePolicy> Loaded = new(() => PolicyFile.Parse(Text, ResourceName));

    /// <summary>Parsed at first use; a broken resource is a build defect, and the tests load it.</summary>
    public static FailurePolicy Value => Loaded.Value;

    /// <summary>The YAML text of the built-in policy.</summary>
    public static string Text
    {
        get
        {
            using var stream = typeof(BuiltInPolicy).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }
}
