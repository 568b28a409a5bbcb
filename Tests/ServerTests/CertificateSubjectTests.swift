// Certificate subjects as MONGODB-X509 user names: a certificate whose subject has every
// awkward part (domain components, a multi-valued RDN, characters RFC 2253 escapes, leading
// and trailing spaces, a leading '#', non-ASCII UTF-8) must come out exactly as OpenSSL's
// `-nameopt RFC2253` prints it, which is the name mongod gives the same certificate.

import NIOSSL
import Testing
@testable import Server

@Suite struct CertificateSubjectTests {
    /// Made with `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -utf8
    /// -multivalue-rdn -subj "/DC=org/DC=tessera/C=DE/ST=Baden-Württemberg/O=Tessera, Inc./OU=Ops+CN=#hash/
    /// OU=a\"b<c>d;e\\f=g/emailAddress=ops@example.org/CN= José Ünïcødé "`.
    static let certificate = """
-----BEGIN CERTIFICATE-----
MIIDHTCCAsOgAwIBAgIUZOxKvyMYIGQHZ5HTm2mpGeWeeBQwCgYIKoZIzj0EAwIw
geIxEzARBgoJkiaJk/IsZAEZFgNvcmcxFzAVBgoJkiaJk/IsZAEZFgd0ZXNzZXJh
MQswCQYDVQQGEwJERTEbMBkGA1UECAwSQmFkZW4tV8O8cnR0ZW1iZXJnMRYwFAYD
VQQKDA1UZXNzZXJhLCBJbmMuMRowCgYDVQQLDANPcHMwDAYDVQQDDAUjaGFzaDEW
MBQGA1UECwwNYSJiPGM+ZDtlXGY9ZzEeMBwGCSqGSIb3DQEJARYPb3BzQGV4YW1w
bGUub3JnMRwwGgYDVQQDDBMgSm9zw6kgw5xuw69jw7hkw6kgMCAXDTI2MTIwNzAw
MzIyNVoYDzIxMjYxMTEzMDAzMjI1WjCB4jETMBEGCgmSJomT8ixkARkWA29yZzEX
MBUGCgmSJomT8ixkARkWB3Rlc3NlcmExCzAJBgNVBAYTAkRFMRswGQYDVQQIDBJC
YWRlbi1Xw7xydHRlbWJlcmcxFjAUBgNVBAoMDVRlc3NlcmEsIEluYy4xGjAKBgNV
BAsMA09wczAMBgNVBAMMBSNoYXNoMRYwFAYDVQQLDA1hImI8Yz5kO2VcZj1nMR4w
HAYJKoZIhvcNAQkBFg9vcHNAZXhhbXBsZS5vcmcxHDAaBgNVBAMMEyBKb3PDqSDD
nG7Dr2PDuGTDqSAwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATlgOh1lRY65vAA
6x6jLtScImk48yCdUoIyzhcczegiowzPUjGkcU1CIqSrr9FbtdjJ/bvm0PnMWUrv
sof5Es4Ao1MwUTAdBgNVHQ4EFgQUMQ5iN3Sof/v5lwBviAbSLGDnlVAwHwYDVR0j
BBgwFoAUMQ5iN3Sof/v5lwBviAbSLGDnlVAwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiEA0d37lW5+u4GihTV4i2oEq5CXldlKGNL1jvzCO2VFqDkC
IElmD+AglTo0+WXOP/pFglv6A1tV1leH43xY9zXdjJwZ
-----END CERTIFICATE-----
"""

    /// `openssl x509 -in certificate.pem -noout -subject -nameopt RFC2253` (after `subject=`):
    /// the oracle, produced by OpenSSL, not by the code under test.
    static let opensslRFC2253 = ##"CN=\ Jos\C3\A9 \C3\9Cn\C3\AFc\C3\B8d\C3\A9\ ,emailAddress=ops@example.org,OU=a\"b\<c\>d\;e\\f=g,CN=\#hash+OU=Ops,O=Tessera\, Inc.,ST=Baden-W\C3\BCrttemberg,C=DE,DC=tessera,DC=org"##

    @Test func subjectMatchesOpenSSLsRFC2253Form() throws {
        let certificate = try NIOSSLCertificate(bytes: Array(Self.certificate.utf8), format: .pem)
        #expect(try CertificateSubject.rfc2253(certificateDER: certificate.toDERBytes()) == Self.opensslRFC2253)
    }

    @Test func escapingFollowsMongod() {
        #expect(CertificateSubject.escape("plain") == "plain")
        #expect(CertificateSubject.escape("#lead") == ##"\#lead"##)
        #expect(CertificateSubject.escape(" lead and trail ") == #"\ lead and trail\ "#)
        #expect(CertificateSubject.escape(#"a,b+c"d\e<f>g;h"#) == #"a\,b\+c\"d\\e\<f\>g\;h"#)
        #expect(CertificateSubject.escape("é") == #"\C3\A9"#)
    }

    @Test func unknownAttributeTypesKeepTheirOID() {
        #expect(CertificateSubject.shortName("2.5.4.3") == "CN")
        #expect(CertificateSubject.shortName("1.2.3.4.5") == "1.2.3.4.5")
    }

    @Test func garbageIsAnErrorNotATrap() {
        for bytes: [UInt8] in [[], [0x30], [0x30, 0x03, 0x02, 0x01, 0x01], [0x30, 0x82, 0xff, 0xff, 0x00], Array(repeating: 0x30, count: 64)] {
            #expect(throws: CertificateSubject.MalformedCertificate.self) {
                try CertificateSubject.rfc2253(certificateDER: bytes)
            }
        }
    }
}
