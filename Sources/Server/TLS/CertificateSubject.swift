// The subject of an X.509 certificate as the RFC 2253 string MongoDB names X.509 users by
// (what `openssl x509 -subject -nameopt RFC2253` prints): attributes from the last to the
// first — RDNs joined by `,`, the attributes of a multi-valued RDN by `+` — with OpenSSL's
// short names for their types (the dotted OID otherwise) and values escaped as mongod does.
// Parses only the DER it needs (certificate → tbsCertificate → subject); never traps on bytes.

import SwiftASN1

/// RFC 2253 names of certificate subjects.
enum CertificateSubject {
    /// Why a certificate's subject could not be read.
    struct MalformedCertificate: Error, CustomStringConvertible {
        /// What was wrong.
        let description: String
    }

    /// The RFC 2253 form of the subject of the DER-encoded certificate `der`.
    static func rfc2253(certificateDER der: [UInt8]) throws(MalformedCertificate) -> String {
        do {
            let certificate = try DER.parse(der)
            guard let tbs = children(of: certificate).first else { throw MalformedCertificate(description: "no tbsCertificate") }
            var fields = children(of: tbs)[...]
            // version [0] EXPLICIT is optional; then serialNumber, signature, issuer, validity, subject.
            if let first = fields.first, first.identifier.tagClass == .contextSpecific, first.identifier.tagNumber == 0 {
                fields = fields.dropFirst()
            }
            guard fields.count > 4 else { throw MalformedCertificate(description: "tbsCertificate too short") }
            return try rfc2253(name: fields[fields.startIndex + 4])
        } catch let error as MalformedCertificate {
            throw error
        } catch {
            throw MalformedCertificate(description: "\(error)")
        }
    }

    /// The RFC 2253 form of a DER `Name` (SEQUENCE OF SET OF {type, value}).
    static func rfc2253(name: ASN1Node) throws -> String {
        guard name.identifier == .sequence else { throw MalformedCertificate(description: "subject is not a SEQUENCE") }
        var rdns: [String] = []
        for rdn in children(of: name) {
            guard rdn.identifier == .set else { throw MalformedCertificate(description: "an RDN is not a SET") }
            var attributes: [String] = []
            for attribute in children(of: rdn) {
                let parts = children(of: attribute)
                guard attribute.identifier == .sequence, parts.count == 2 else {
                    throw MalformedCertificate(description: "an attribute is not {type, value}")
                }
                let type = try ASN1ObjectIdentifier(derEncoded: parts[0])
                attributes.append("\(shortName(type.description))=\(value(parts[1]))")
            }
            rdns.append(attributes.reversed().joined(separator: "+"))
        }
        return rdns.reversed().joined(separator: ",")
    }

    private static func children(of node: ASN1Node) -> [ASN1Node] {
        guard case let .constructed(nodes) = node.content else { return [] }
        return Array(nodes)
    }

    /// An attribute value: a directory string escaped, anything else `#` and its DER in hex.
    static func value(_ node: ASN1Node) -> String {
        guard case let .primitive(bytes) = node.content, let text = decodeString(node.identifier, bytes) else {
            return "#" + node.encodedBytes.map { hex($0, uppercase: false) }.joined()
        }
        return escape(text)
    }

    private static func decodeString(_ identifier: ASN1Identifier, _ bytes: ArraySlice<UInt8>) -> String? {
        switch identifier {
        case .utf8String, .printableString, .ia5String, .numericString, .visibleString:
            return String(validating: bytes, as: UTF8.self)
        case .teletexString:
            // OpenSSL converts T61String as Latin-1.
            return String(String.UnicodeScalarView(bytes.compactMap { Unicode.Scalar(UInt32($0)) }))
        case .bmpString:
            guard bytes.count % 2 == 0 else { return nil }
            let units = stride(from: bytes.startIndex, to: bytes.endIndex, by: 2).map {
                UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1])
            }
            return String(validating: units, as: UTF16.self)
        case .universalString:
            guard bytes.count % 4 == 0 else { return nil }
            var scalars = String.UnicodeScalarView()
            for start in stride(from: bytes.startIndex, to: bytes.endIndex, by: 4) {
                let value = bytes[start..<start + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard let scalar = Unicode.Scalar(value) else { return nil }
                scalars.append(scalar)
            }
            return String(scalars)
        default:
            return nil
        }
    }

    /// mongod's RFC 2253 escaping: a leading space or `#`, any of `,+"\<>;`, and a trailing
    /// space get a backslash; every byte of a non-ASCII character becomes `\XX`.
    static func escape(_ text: String) -> String {
        var escaped = ""
        var bytes = Array(text.utf8)[...]
        if let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "#") {
            escaped = "\\" + String(UnicodeScalar(first))
            bytes = bytes.dropFirst()
        }
        for byte in bytes {
            if byte >= 0x80 {
                escaped += "\\" + hex(byte, uppercase: true)
            } else {
                if Array(#",+"\<>;"#.utf8).contains(byte) { escaped += "\\" }
                escaped.append(Character(UnicodeScalar(byte)))
            }
        }
        if escaped.utf8.count > 2, escaped.hasSuffix(" ") {
            escaped.removeLast()
            escaped += "\\ "
        }
        return escaped
    }

    private static func hex(_ byte: UInt8, uppercase: Bool) -> String {
        let digits = Array(uppercase ? "0123456789ABCDEF" : "0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }

    /// OpenSSL's short name for an attribute type (the names mongod prints), else the OID.
    static func shortName(_ oid: String) -> String {
        shortNames[oid] ?? oid
    }

    private static let shortNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L",
        "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "title",
        "2.5.4.13": "description", "2.5.4.15": "businessCategory", "2.5.4.17": "postalCode",
        "2.5.4.41": "name", "2.5.4.42": "GN", "2.5.4.43": "initials", "2.5.4.44": "generationQualifier",
        "2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym", "2.5.4.72": "role",
        "0.9.2342.19200300.100.1.1": "UID", "0.9.2342.19200300.100.1.25": "DC",
        "1.2.840.113549.1.9.1": "emailAddress",
    ]
}
