using System.Security.Cryptography;
using Doctor.Secrets;
using Doctor.Testing;

namespace Doctor.Core.Tests.Secrets;

public sealed class SecretKeysTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string KeyFile => Path.Combine(_dir.Path, SecretKeys.FileName);

    [Fact]
    public void LoadOrCreate_NewDirectory_CreatesAPrivateKeyFile()
    {
        var key = SecretKeys.LoadOrCreate(_dir.Path, out var created);

        Assert.True(created);
        Assert.Equal(SecretKeys.KeyBytes, key.Length);
        Assert.Equal(key, Convert.FromBase64String(File.ReadAllText(KeyFile).Trim()));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
        Assert.False(SecretKeys.IsExposed(_dir.Path));
    }

    [Fact]
    public void LoadOrCreate_ExistingFile_ReturnsTheSameKey()
    {
        var first = SecretKeys.LoadOrCreate(_dir.Path, out _);

        var second = SecretKeys.LoadOrCreate(_dir.Path, out var created);

        Assert.False(created);
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData("not a key")]
    [InlineData("AAAA")]
    [InlineData("")]
    public void LoadOrCreate_DamagedFile_ThrowsNamingTheFile(string content)
    {
        File.WriteAllText(KeyFile, content);

        var error = Assert.Throws<InvalidOperationException>(() => SecretKeys.LoadOrCreate(_dir.Path, out _));

        Assert.Contains(KeyFile, error.Message);
        Assert.Contains(SecretKeys.Variable, error.Message);
    }

    [Fact]
    public void IsExposed_FileReadableByOthers_True()
    {
        if (OperatingSystem.IsWindows())
            return;
        SecretKeys.LoadOrCreate(_dir.Path, out _);
        File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        Assert.True(SecretKeys.IsExposed(_dir.Path));
    }

    [Fact]
    public void Parse_Base64Of32Bytes_ReturnsTheKey()
    {
        var key = RandomNumberGenerator.GetBytes(32);

        Assert.Equal(key, SecretKeys.Parse(" " + Convert.ToBase64String(key) + "\n"));
    }

    [Theory]
    [InlineData("not base64 at all")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")] // 16 bytes
    [InlineData("")]
    public void Parse_NotA256BitKey_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => SecretKeys.Parse(text));
    }
}
