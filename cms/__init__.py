"""Newsroom CMS: revisioned stories, editorial workflow and syndication.

The application is made by :func:`cms.app.create_app`.
"""
