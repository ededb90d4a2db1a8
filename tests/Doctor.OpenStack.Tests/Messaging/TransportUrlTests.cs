using Doctor.OpenStack.Messaging;

namespace Doctor.OpenStack.Tests.Messaging;

/// <summary>
/// oslo.messaging transport URLs as <see cref="TransportUrl"/> reads them and <see cref="Transport"/> turns them into the
/// RabbitMQ client's endpoints: every host, its port (or the scheme's default), the virtual host, escaped credentials.
/// </summary>
public sealed class TransportUrlTests
{
    [Fact]
    public void Parse_MultiHost_EveryHostWithItsPortAndTheVhost()
    {
        var url = TransportUrl.Parse("rabbit://u:p@h1:5672,u:p@h2:5673/vhost");

        Assert.Equal([("h1", 5672), ("h2", 5673)], url.Hosts.Select(h => (h.Name, h.Port)));
        Assert.Equal("vhost", url.VirtualHost);
        Assert.False(url.Tls);
        Assert.Equal(("u", "p"), url.Credentials);
        Assert.False(url.CredentialsDiffer);
        Assert.Equal("h1:5672,h2:5673/vhost", url.Describe());
    }

    [Theory]
    [InlineData("rabbit://u:p@h1", 5672)]
    [InlineData("rabbit://u:p@h1:/", 5672)]
    [InlineData("amqp://u:p@h1/", 5672)]
    [InlineData("amqps://u:p@h1/", 5671)]
    [InlineData("AMQPS://u:p@h1/", 5671)]
    public void Parse_NoPort_TheSchemesDefault(string text, int port)
    {
        var url = TransportUrl.Parse(text);

        Assert.Equal(port, Assert.Single(url.Hosts).Port);
        Assert.Equal(port == 5671, url.Tls);
    }

    [Theory]
    [InlineData("rabbit://u:p@h1:5672/", "/")]
    [InlineData("rabbit://u:p@h1:5672", "/")]
    [InlineData("rabbit://u:p@h1:5672//", "/")]
    [InlineData("rabbit://u:p@h1:5672/%2F", "/")]
    [InlineData("rabbit://u:p@h1:5672/open%20stack", "open stack")]
    [InlineData("rabbit://u:p@h1:5672/nova?ssl=1", "nova")]
    public void Parse_Vhost_UnescapedEmptyIsTheDefault(string text, string vhost) =>
        Assert.Equal(vhost, TransportUrl.Parse(text).VirtualHost);

    [Fact]
    public void Parse_EscapedCredentials_Unescaped()
    {
        // A password with the characters a URL reserves: ':' '@' ',' '/' '%', as an operator escapes them.
        var url = TransportUrl.Parse("rabbit://open%40stack:p%3Aa%40s%2Cs%2F%25@rabbit-1.example:5672/");

        Assert.Equal(("open@stack", "p:a@s,s/%"), url.Credentials);
        Assert.Equal("rabbit-1.example", url.Hosts[0].Name);
    }

    [Fact]
    public void Parse_UnescapedAtInPassword_SplitAtTheLastAt()
    {
        var url = TransportUrl.Parse("rabbit://doctor:p@ss@rabbit:5672/");

        Assert.Equal(("doctor", "p@ss"), url.Credentials);
        Assert.Equal("rabbit", url.Hosts[0].Name);
    }

    [Fact]
    public void Parse_NoCredentials_Guest()
    {
        var url = TransportUrl.Parse("rabbit://rabbit:5672/");

        Assert.Equal(("guest", "guest"), url.Credentials);
    }

    [Fact]
    public void Parse_Ipv6AndEmptyEntries_AsOslo()
    {
        var url = TransportUrl.Parse("rabbit://u:p@[::1]:5673,,u:p@[fd00::2],/");

        Assert.Equal([("::1", 5673), ("fd00::2", 5672)], url.Hosts.Select(h => (h.Name, h.Port)));
        Assert.Equal("[::1]:5673,[fd00::2]:5672", url.Describe());
    }

    [Fact]
    public void Parse_DifferentCredentialsPerHost_FirstHostsUsedAndSaid()
    {
        var url = TransportUrl.Parse("rabbit://a:pa@h1:5672,b:pb@h2:5672,h3:5672/");

        Assert.Equal(("a", "pa"), url.Credentials);
        Assert.True(url.CredentialsDiffer);
        Assert.False(TransportUrl.Parse("rabbit://a:pa@h1,h2/").CredentialsDiffer); // a host naming none takes the first's
    }

    [Theory]
    [InlineData("http://rabbit:5672/", "must be a rabbit://")]
    [InlineData("rabbit:5672", "must be a rabbit://")]
    [InlineData("kafka://h:9092/", "must be a rabbit://")]
    [InlineData("rabbit:///", "names no host")]
    [InlineData("rabbit://,/", "names no host")]
    [InlineData("rabbit://u:secret@h1:56x72/", "host 1 of the URL has an invalid port '56x72'")]
    [InlineData("rabbit://u:secret@h1:5672,u:secret@h2:70000/", "host 2 of the URL has an invalid port '70000'")]
    [InlineData("rabbit://u:secret@h1:0/", "invalid port '0'")]
    [InlineData("rabbit://u:secret@:5672/", "host 1 of the URL has no host name")]
    [InlineData("rabbit://u:secret@[::1:5672/", "without its closing ']'")]
    [InlineData("rabbit://u:secret@[::1]x/", "not a :port")]
    [InlineData("rabbit://u:secret@rab bit:5672/", "invalid host name")]
    public void TryParse_Malformed_SaysWhatWithoutThePassword(string text, string problem)
    {
        Assert.False(TransportUrl.TryParse(text, out _, out var error));

        Assert.Contains(problem, error);
        Assert.DoesNotContain("secret", error);
        Assert.Contains(problem, Assert.Throws<FormatException>(() => TransportUrl.Parse(text)).Message);
    }

    [Fact]
    public void Endpoints_EveryHost_TlsForAmqps()
    {
        var plain = Transport.Endpoints(TransportUrl.Parse("rabbit://u:p@h1:5672,u:p@h2:5673/"));
        var tls = Transport.Endpoints(TransportUrl.Parse("amqps://u:p@h1,u:p@h2:5676/"));

        Assert.Equal([("h1", 5672, false), ("h2", 5673, false)], plain.Select(e => (e.HostName, e.Port, e.Ssl.Enabled)));
        Assert.Equal([("h1", 5671, true, "h1"), ("h2", 5676, true, "h2")], tls.Select(e => (e.HostName, e.Port, e.Ssl.Enabled, e.Ssl.ServerName)));
    }

    [Fact]
    public void Factory_CredentialsVhostAndRecovery()
    {
        var factory = Transport.Factory("rabbit://doctor:s%2Fcret@h1:5673,doctor:s%2Fcret@h2/openstack", "doctor-test");

        Assert.Equal(("doctor", "s/cret", "openstack"), (factory.UserName, factory.Password, factory.VirtualHost));
        Assert.Equal(("h1", 5673), (factory.HostName, factory.Port));
        Assert.True(factory.AutomaticRecoveryEnabled && factory.TopologyRecoveryEnabled);
        Assert.Equal(Transport.ReconnectInterval, factory.NetworkRecoveryInterval);
        Assert.False(Transport.Factory("rabbit://h1/", "doctor-test", automaticRecovery: false).AutomaticRecoveryEnabled);
    }

    [Fact]
    public void ToString_NeverThePassword()
    {
        var url = TransportUrl.Parse("rabbit://doctor:topsecret@h1:5672/");

        Assert.DoesNotContain("topsecret", url.Hosts[0].ToString());
        Assert.DoesNotContain("topsecret", url.Describe());
    }
}
