#!/usr/bin/python3
"""s3util.py - seed and change S3 buckets for drivemon's tests.

A test needs a second S3 client, independent of drivemon, to create the
state drivemon must notice: buckets, objects, overwrites and deletions.
This is that client, a thin command line over boto3 (Debian's
python3-boto3), speaking path-style SigV4 in region us-east-1.
Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the
endpoint from --endpoint or AWS_ENDPOINT_URL.

It is not a general S3 tool: no multipart control, no ACLs, no retries
beyond boto3's few.  Every failure ends the program with status 1 and one
line on stderr naming the command, the object and S3's answer.
"""

import argparse
import concurrent.futures
import os
import signal
import sys

import boto3
import botocore.config
import botocore.exceptions

PUT_MANY_THREADS = 16
DELETE_BATCH = 1000  # most keys one DeleteObjects request may carry


class Failure(Exception):
    """An error to report in one line before exiting 1."""


def make_client(endpoint):
    key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise Failure("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                      "(e.g. source DIR/credentials.env from rgw.sh)")
    config = botocore.config.Config(
        region_name="us-east-1",
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        max_pool_connections=PUT_MANY_THREADS * 2,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, aws_access_key_id=key,
        aws_secret_access_key=secret, config=config)


def unquote_etag(etag):
    return etag.strip('"')


def open_input(path):
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as e:
        raise Failure(f"cannot read '{path}': {e.strerror}") from e


def pattern_body(index, size):
    """Bytes that differ per object, so that no two objects share an ETag."""
    seed = f"{index:010d}\n".encode()
    return (seed * (size // len(seed) + 1))[:size]


# ---- commands: each takes the client and the parsed arguments -------------

def cmd_mb(s3, args):
    s3.create_bucket(Bucket=args.bucket)


def cmd_put(s3, args):
    body = open_input(args.file)
    with body:
        reply = s3.put_object(Bucket=args.bucket, Key=args.key,
                              Body=body.read())
    print(unquote_etag(reply["ETag"]))


def cmd_get(s3, args):
    reply = s3.get_object(Bucket=args.bucket, Key=args.key)
    data = reply["Body"].read()
    if args.file == "-":
        sys.stdout.buffer.write(data)
        return
    with open(args.file, "wb") as out:
        out.write(data)


def run_parallel(jobs):
    """Run the callables in jobs on a thread pool; stop at the first
    failure and raise it."""
    with concurrent.futures.ThreadPoolExecutor(PUT_MANY_THREADS) as pool:
        futures = [pool.submit(job) for job in jobs]
        try:
            for future in concurrent.futures.as_completed(futures):
                future.result()
        finally:
            pool.shutdown(cancel_futures=True)


def cmd_put_tree(s3, args):
    def upload(path, key):
        return lambda: s3.upload_file(path, args.bucket, key)

    jobs = []
    for folder, _, names in os.walk(args.dir):
        for name in names:
            path = os.path.join(folder, name)
            key = os.path.relpath(path, args.dir)
            jobs.append(upload(path, key))
    run_parallel(jobs)


def cmd_put_many(s3, args):
    width = max(6, len(str(args.count - 1)))

    def put_one(i):
        s3.put_object(Bucket=args.bucket, Key=f"{args.prefix}{i:0{width}d}",
                      Body=pattern_body(i, args.size))

    run_parallel([lambda i=i: put_one(i) for i in range(args.count)])


def cmd_rm(s3, args):
    s3.delete_object(Bucket=args.bucket, Key=args.key)


def cmd_ls(s3, args):
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket)
    for page in pages:
        for obj in page.get("Contents", []):
            print(f"{obj['Key']}\t{unquote_etag(obj['ETag'])}\t{obj['Size']}")


def delete_batches(s3, bucket, entries):
    for start in range(0, len(entries), DELETE_BATCH):
        batch = entries[start:start + DELETE_BATCH]
        reply = s3.delete_objects(Bucket=bucket,
                                  Delete={"Objects": batch, "Quiet": True})
        errors = reply.get("Errors", [])
        if errors:
            first = errors[0]
            raise Failure(f"rb '{bucket}': cannot delete '{first['Key']}': "
                          f"{first['Code']} {first.get('Message', '')}")


def cmd_rb(s3, args):
    """Every version and delete marker goes, so versioned buckets empty too."""
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket=args.bucket)
    entries = []
    for page in pages:
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            entries.append({"Key": item["Key"],
                            "VersionId": item["VersionId"]})
    delete_batches(s3, args.bucket, entries)

    uploads = s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=args.bucket)
    for page in uploads:
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=args.bucket, Key=upload["Key"],
                                      UploadId=upload["UploadId"])

    s3.delete_bucket(Bucket=args.bucket)


def cmd_etag(s3, args):
    reply = s3.head_object(Bucket=args.bucket, Key=args.key)
    print(unquote_etag(reply["ETag"]))


# ---- command line --------------------------------------------------------

def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return value


COMMANDS = [
    # name, handler, help, [(argument, type)]
    ("mb", cmd_mb, "create a bucket", [("bucket", str)]),
    ("put", cmd_put, "upload FILE (- for stdin) as KEY; prints its ETag",
     [("bucket", str), ("key", str), ("file", str)]),
    ("get", cmd_get, "download KEY into FILE (- for stdout)",
     [("bucket", str), ("key", str), ("file", str)]),
    ("put-many", cmd_put_many,
     "upload COUNT objects of SIZE bytes named PREFIX000000, PREFIX000001, "
     "..., each with different content",
     [("bucket", str), ("prefix", str), ("count", non_negative),
      ("size", non_negative)]),
    ("put-tree", cmd_put_tree,
     "upload every file under DIR, its path below DIR as its key",
     [("bucket", str), ("dir", str)]),
    ("rm", cmd_rm, "delete KEY", [("bucket", str), ("key", str)]),
    ("ls", cmd_ls, "print key<TAB>etag<TAB>size for every object",
     [("bucket", str)]),
    ("rb", cmd_rb, "delete every object, version and upload, then the bucket",
     [("bucket", str)]),
    ("etag", cmd_etag, "print the ETag of KEY (without quotes)",
     [("bucket", str), ("key", str)]),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Seed and change S3 buckets for drivemon's tests. "
        "Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    parser.add_argument("--endpoint", default=os.environ.get(
        "AWS_ENDPOINT_URL"), help="http://127.0.0.1:PORT "
        "(default: $AWS_ENDPOINT_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler, text, arguments in COMMANDS:
        sub = commands.add_parser(name, help=text, description=text)
        for argument, kind in arguments:
            sub.add_argument(argument, type=kind, metavar=argument.upper())
        sub.set_defaults(handler=handler)
    args = parser.parse_args(argv)
    if not args.endpoint:
        parser.error("give --endpoint or set AWS_ENDPOINT_URL")
    return args


def describe_client_error(error):
    """S3's answer as "HTTP 404 NoSuchKey message", skipping empty parts."""
    status = error.response.get("ResponseMetadata", {}).get(
        "HTTPStatusCode", "?")
    code = error.response.get("Error", {}).get("Code")
    message = error.response.get("Error", {}).get("Message")
    parts = [f"HTTP {status}"]
    if code and code != str(status):
        parts.append(code)
    if message:
        parts.append(message)
    return " ".join(parts)


def describe(args):
    """The object a command works on, for error messages."""
    target = args.bucket
    if getattr(args, "key", None) is not None:
        target += "/" + args.key
    return f"{args.command} '{target}'"


def main(argv):
    # Die quietly on a closed pipe ("s3util.py ls B | head"), as ls does.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = parse_args(argv)
    try:
        args.handler(make_client(args.endpoint), args)
    except Failure as e:
        print(f"s3util: {e}", file=sys.stderr)
        return 1
    except botocore.exceptions.ClientError as e:
        print(f"s3util: {describe(args)}: {describe_client_error(e)}",
              file=sys.stderr)
        return 1
    except (botocore.exceptions.BotoCoreError, OSError) as e:
        print(f"s3util: {describe(args)}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
