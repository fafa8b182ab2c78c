#!/bin/sh
# Regenerates the small DER certificates in testdata/tls/certs/ that the
# TLS fixtures (netops-testkit, testdata/tls/*.pcap) put into server
# Certificate messages. They are committed: keys and signatures are random,
# so running this changes the bytes (then run
# `UPDATE_TESTDATA=1 cargo test -p tls-handshake --features audit` and
# commit both). What each certificate is for is fixed here:
#   rsa1024-sha1-selfsigned.der  RSA 1024, sha1WithRSAEncryption, self-signed,
#                                valid 2015-01-01..2020-01-01 (expired)
#   ca-rsa2048.der               RSA 2048 CA, sha256WithRSAEncryption, self-signed,
#                                valid 2024-01-01..2036-01-01
#   leaf-ec-p256.der             EC P-256 leaf signed by the CA (sha256WithRSAEncryption),
#                                valid 2025-01-01..2035-01-01, three SANs
#   leaf-ec-p192-md5.der         EC P-192 leaf signed by the CA (md5WithRSAEncryption),
#                                valid 2025-01-01..2035-01-01
# rcgen (used in the tests for generated-on-the-fly certificates) can
# neither make RSA keys below 2048 bits nor sign with SHA-1/MD5, hence
# openssl for these. Needs openssl 3.
set -eu
out="$(cd "$(dirname "$0")/.." && pwd)/testdata/tls/certs"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir db
: > db/index
echo 01 > db/serial
cat > ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = db/index
serial = db/serial
new_certs_dir = .
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
organizationName = optional
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = CA:false
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
sign() { # key subj start end md ext [sans] [issuer-cert issuer-key]
  key=$1 subj=$2 start=$3 end=$4 md=$5 ext=$6 sans=$7 icert=${8:-} ikey=${9:-}
  openssl req -new -key "$key" -subj "$subj" -config ca.cnf ${sans:+-addext "subjectAltName=$sans"} -out req.pem
  if [ -z "$icert" ]; then
    openssl ca -batch -config ca.cnf -selfsign -keyfile "$key" -in req.pem \
      -startdate "$start" -enddate "$end" -md "$md" -extensions "$ext" -notext -out cert.pem
  else
    openssl ca -batch -config ca.cnf -cert "$icert" -keyfile "$ikey" -in req.pem \
      -startdate "$start" -enddate "$end" -md "$md" -extensions "$ext" -notext -out cert.pem
  fi
}
openssl genrsa -out weak.key 1024
sign weak.key "/CN=legacy-sql.example.net/O=Example Legacy" 20150101000000Z 20200101000000Z sha1 v3_ca \
  "DNS:legacy-sql.example.net,DNS:sql01.example.net,IP:192.0.2.50"
openssl x509 -in cert.pem -outform DER -out "$out/rsa1024-sha1-selfsigned.der"

openssl genrsa -out ca.key 2048
sign ca.key "/CN=Example Test CA/O=netops-kit" 20240101000000Z 20360101000000Z sha256 v3_ca ""
cp cert.pem ca.pem
openssl x509 -in ca.pem -outform DER -out "$out/ca-rsa2048.der"

openssl ecparam -name prime256v1 -genkey -noout -out p256.key
sign p256.key "/CN=db.example.com" 20250101000000Z 20350101000000Z sha256 v3_leaf \
  "DNS:db.example.com,DNS:*.db.example.com,IP:2001:db8::5" ca.pem ca.key
openssl x509 -in cert.pem -outform DER -out "$out/leaf-ec-p256.der"

openssl ecparam -name prime192v1 -genkey -noout -out p192.key
sign p192.key "/CN=old-mail.example.org" 20250101000000Z 20350101000000Z md5 v3_leaf \
  "DNS:old-mail.example.org" ca.pem ca.key
openssl x509 -in cert.pem -outform DER -out "$out/leaf-ec-p192-md5.der"
ls -l "$out"
