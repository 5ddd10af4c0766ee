"""The word lists the WikiHow corpus is generated from (``generate.py``): categories, how-to phrases, people.

Category tree: root → middle → leaf, as wikiHow's (an article's breadcrumb shows the last two). Each
leaf has verbs and objects; an article's phrase is "<verb> <object>" in wikiHow's title case, so
several articles of a leaf share words and a search returns near misses, as in the pools' results
("How to Apply CC Cream", "How to Apply BB Cream", …).
"""

from __future__ import annotations

__all__ = ["AUTHOR_FIRST", "AUTHOR_LAST", "CREDENTIALS", "LEAVES", "PROFESSIONS", "TREE"]

TREE: dict[str, dict[str, list[str]]] = {
    "Computers and Electronics": {"Internet": ["Video Hosting and Sharing Websites", "Email"],
                                  "Computers": ["Laptops", "Operating Systems"],
                                  "Telephones": ["Smartphones"]},
    "Personal Care and Style": {"Hair Care": ["Celebrity Inspired Hairstyles", "Hair Coloring"],
                                "Makeup": ["Learning to Use Makeup"],
                                "Fashion": ["Shoes"]},
    "Food and Entertaining": {"Kitchen Equipment": ["Kitchen Utensils", "Cookware"],
                              "Recipes": ["Breakfast", "Desserts"]},
    "Finance and Business": {"Investments and Trading": ["Financial Stocks", "Bonds"],
                             "Personal Finance": ["Budgeting"]},
    "Relationships": {"Friends": ["Forming Friendships", "Friendship Problems"],
                      "Dating": ["First Dates"]},
    "Home and Garden": {"Home Maintenance": ["Lighting", "Plumbing"],
                        "Gardening": ["Vegetable Gardening"]},
    "Hobbies and Crafts": {"Crafts": ["Knitting and Crochet", "Paper Craft"],
                           "Stationery": ["Addressing Envelopes"]},
    "Sports and Fitness": {"Personal Fitness": ["Running", "Strength Training"],
                           "Outdoor Recreation": ["Scooters"]},
}
"""root → middle category → leaf categories."""

LEAVES: dict[str, tuple[list[str], list[str]]] = {
    "Video Hosting and Sharing Websites": (["Download", "Upload", "Bypass", "Embed", "Filter"],
                                           ["YouTube's Regional Filter", "Videos from Dailymotion",
                                            "a Video on Vimeo", "Subtitles in Videos", "YouTube Search Results"]),
    "Email": (["Change", "Recover", "Delete", "Create", "Secure"],
              ["Your Yahoo Email Address", "a Gmail Account", "an Outlook Password", "Email Filters",
               "a Professional Email Signature"]),
    "Laptops": (["Clean", "Cool", "Speed Up", "Choose", "Fix"],
                ["a Laptop Keyboard", "an Overheating Laptop", "a Laptop Battery", "a Gaming Laptop",
                 "a Laptop Screen"]),
    "Operating Systems": (["Install", "Update", "Reset", "Mount", "Uninstall"],
                          ["Windows 10", "an ISO Image", "Linux on a Chromebook", "Adobe Creative Suite",
                           "Drivers on Windows"]),
    "Smartphones": (["Unlock", "Back Up", "Reset", "Install", "Clean"],
                    ["an Android Phone", "an iPhone", "the Google Play Store on an Amazon Fire",
                     "a Phone Charging Port", "Contacts to Google"]),
    "Celebrity Inspired Hairstyles": (["Do", "Style", "Get"],
                                      ["Ruby Rose Hair", "Goku Hair", "1920s Hair", "50s Hair", "70s Hair",
                                       "Taylor Swift Bangs"]),
    "Hair Coloring": (["Dye", "Bleach", "Tone", "Remove Dye from"],
                      ["Your Hair Rose Gold", "Dark Hair", "Brassy Hair", "Your Hair Silver", "Ombre Hair"]),
    "Learning to Use Makeup": (["Apply", "Choose", "Remove", "Blend"],
                               ["CC Cream", "BB Cream", "Cream Blush", "Cream Contour", "Eye Cream",
                                "Liquid Eyeliner"]),
    "Shoes": (["Clean", "Stretch", "Break In", "Lace", "Waterproof"],
              ["Suede Shoes", "Leather Boots", "White Sneakers", "Running Shoes", "Canvas Shoes"]),
    "Kitchen Utensils": (["Clean", "Sharpen", "Store", "Season", "Choose"],
                         ["Utensils", "Copper Utensils", "Wooden Cooking Utensils", "Kitchen Knives",
                          "a Cheese Grater"]),
    "Cookware": (["Clean", "Season", "Restore", "Care for", "Choose"],
                 ["a Nonstick Pan", "a Cast Iron Skillet", "a Dutch Oven", "Stainless Steel Pots",
                  "a Keurig with Vinegar"]),
    "Breakfast": (["Make", "Cook", "Flip", "Freeze"],
                  ["Fluffy Pancakes", "French Toast", "Scrambled Eggs", "Breakfast Burritos", "Overnight Oats"]),
    "Desserts": (["Make", "Bake", "Decorate", "Frost"],
                 ["a Chocolate Cake", "Brownies", "Sugar Cookies", "a Cheesecake", "Cupcakes"]),
    "Financial Stocks": (["Buy", "Sell", "Research", "Calculate", "Invest in"],
                         ["Stocks (for Beginners)", "a Stock", "Stock Certificates", "Daily Return of a Stock",
                          "Indian Stocks", "a Stock Portfolio"]),
    "Bonds": (["Buy", "Cash", "Redeem", "Value"],
              ["Savings Bonds", "Treasury Bonds", "Municipal Bonds", "Corporate Bonds"]),
    "Budgeting": (["Make", "Stick to", "Plan", "Cut"],
                  ["a Monthly Budget", "a Grocery Budget", "a Wedding Budget", "Household Expenses"]),
    "Forming Friendships": (["Be", "Make", "Become", "Keep"],
                            ["a Good Friend to a Guy", "Friends at Work", "Friends With a Girl",
                             "a Good Friend", "Friends in College"]),
    "Friendship Problems": (["Overcome", "Deal With", "End", "Fix"],
                            ["Fear", "a Toxic Friendship", "a Jealous Friend", "a Fake Friend",
                             "a Friendship Breakup"]),
    "First Dates": (["Plan", "Prepare for", "Dress for", "Survive"],
                    ["a First Date", "a Dinner Date", "a Blind Date", "a Coffee Date"]),
    "Lighting": (["Change", "Install", "Dispose of", "Replace"],
                 ["a Lightbulb in a Recessed Light", "Recessed Lighting", "Lightbulbs",
                  "a Microwave Lightbulb", "a Ceiling Light Fixture"]),
    "Plumbing": (["Fix", "Unclog", "Replace", "Insulate"],
                 ["a Leaky Faucet", "a Toilet", "a Shower Drain", "Water Pipes", "a Garbage Disposal"]),
    "Vegetable Gardening": (["Grow", "Plant", "Harvest", "Prune"],
                            ["Tomatoes", "Potatoes", "Garlic", "Lettuce", "Zucchini"]),
    "Knitting and Crochet": (["Check", "Knit", "Crochet", "Block"],
                             ["a Crochet Gauge", "a Scarf", "a Granny Square", "a Beanie", "Socks"]),
    "Paper Craft": (["Make", "Fold", "Decorate"],
                    ["a Paper Crane", "a Paper Airplane", "Origami Flowers", "a Pop Up Card"]),
    "Addressing Envelopes": (["Address", "Write", "Send"],
                             ["a Letter to England", "a Letter", "a Formal Letter", "a Business Letter",
                              "a Letter for Change of Address"]),
    "Running": (["Start", "Train for", "Run", "Recover from"],
                ["Running", "a Marathon", "Faster", "a 5K", "Shin Splints"]),
    "Strength Training": (["Do", "Build", "Use", "Choose"],
                          ["Push Ups", "Muscle", "a Foam Roller", "Kettlebells", "Resistance Bands"]),
    "Scooters": (["180 on", "Ride", "Tailwhip", "Choose"],
                 ["a Scooter", "an Electric Scooter", "a Kick Scooter"]),
}
"""leaf category → (verbs, objects)."""

AUTHOR_FIRST = ["Trudi", "Ashley", "Daniel", "Sophia", "Melanie", "Jack", "Ara", "Amy", "Laura", "Marcus",
                "Nina", "Peter", "Rachel", "Samuel", "Tara", "Victor", "Wendy", "Yusuf", "Zoe", "Kevin"]
AUTHOR_LAST = ["Griffin", "Adams", "Vann", "Latorre", "Garcia", "Lloyd", "Oghoorian", "Bobinger", "Marquez",
               "Chen", "Okafor", "Novak", "Stein", "Patel", "Reyes", "Lindqvist", "Moreau", "Haddad"]
CREDENTIALS = ["", "", "", ", LPC, MS", ", CPA", ", MD", ", PhD", ", MA"]
PROFESSIONS = ["Professional Counselor", "Certified Public Accountant", "Professional Stylist",
               "Licensed Cosmetologist", "Computer Specialist", "Home Improvement Specialist", "Chef",
               "Personal Trainer", "Financial Advisor", "Master Gardener", "Craft Instructor", "Makeup Artist"]
