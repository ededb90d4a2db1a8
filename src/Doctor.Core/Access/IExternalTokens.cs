namespace Doctor.Access;

/// <summary>
/// Credentials Doctor does not issue itself (Keystone tokens in OpenStack mode). Asked only for a secret that is not one
/// of Doctor's own tokens; answers the caller as a token (role, project, expiry) or null when the secret is not valid.
/// </summary>
public interface IExternalTokens
{
    ValueTask<Token?> ValidateAsync(string secret, CancellationToken cancellationToken);
}
